"""Scenarios shaped like the Hanoi Convention signing: the default case and synthetic ones.

* :func:`hanoi_scenario` -- the model case (``scenarios/hanoi-2025.yaml``), built from the
  seed articles: 25-26 October 2025 at the National Convention Center in Hanoi, about 110
  delegations (93 confirmed a week ahead, 60 signing), 8 high-level events and seminars,
  38 round tables, and bilateral requests centred on the host's leaders and the UN
  Secretary-General. Offices are named, not people.
* :func:`generate_scenario` -- the same shape at any size, for tests and benchmarks.

Both are deterministic for a seed and never depend on today's date. Required events are
feasible by construction (their chairs and panellists have time for them and rooms are
ample); over-subscription comes only from the optional bilateral requests.

Regenerate the default file with ``python -m solver.generate``.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from solver.scenario import Scenario, dump_scenario, parse_scenario

COUNTRIES: list[tuple[str, str]] = [
    ("AUS", "Australia"), ("AUT", "Austria"), ("BEL", "Belgium"), ("BRA", "Brazil"), ("BRN", "Brunei Darussalam"),
    ("KHM", "Cambodia"), ("CAN", "Canada"), ("CHL", "Chile"), ("CHN", "China"), ("COL", "Colombia"),
    ("CZE", "Czechia"), ("DNK", "Denmark"), ("EGY", "Egypt"), ("EST", "Estonia"), ("FIN", "Finland"),
    ("FRA", "France"), ("DEU", "Germany"), ("GHA", "Ghana"), ("GRC", "Greece"), ("HUN", "Hungary"),
    ("IND", "India"), ("IDN", "Indonesia"), ("IRN", "Iran"), ("IRL", "Ireland"), ("ISR", "Israel"),
    ("ITA", "Italy"), ("JPN", "Japan"), ("KAZ", "Kazakhstan"), ("KEN", "Kenya"), ("KOR", "Republic of Korea"),
    ("LAO", "Lao PDR"), ("MYS", "Malaysia"), ("MEX", "Mexico"), ("MNG", "Mongolia"), ("MAR", "Morocco"),
    ("MMR", "Myanmar"), ("NLD", "Netherlands"), ("NZL", "New Zealand"), ("NGA", "Nigeria"), ("NOR", "Norway"),
    ("PAK", "Pakistan"), ("PHL", "Philippines"), ("POL", "Poland"), ("PRT", "Portugal"), ("QAT", "Qatar"),
    ("ROU", "Romania"), ("RUS", "Russian Federation"), ("SAU", "Saudi Arabia"), ("SEN", "Senegal"),
    ("SRB", "Serbia"), ("SGP", "Singapore"), ("ZAF", "South Africa"), ("ESP", "Spain"), ("LKA", "Sri Lanka"),
    ("SWE", "Sweden"), ("CHE", "Switzerland"), ("THA", "Thailand"), ("TLS", "Timor-Leste"), ("TUN", "Tunisia"),
    ("TUR", "Türkiye"), ("UGA", "Uganda"), ("UKR", "Ukraine"), ("ARE", "United Arab Emirates"),
    ("GBR", "United Kingdom"), ("USA", "United States"), ("URY", "Uruguay"), ("UZB", "Uzbekistan"),
    ("VEN", "Venezuela"), ("ZMB", "Zambia"), ("ZWE", "Zimbabwe"), ("DZA", "Algeria"), ("AGO", "Angola"),
    ("ARG", "Argentina"), ("ARM", "Armenia"), ("AZE", "Azerbaijan"), ("BGD", "Bangladesh"), ("BLR", "Belarus"),
    ("BOL", "Bolivia"), ("BWA", "Botswana"), ("BGR", "Bulgaria"), ("CMR", "Cameroon"), ("CRI", "Costa Rica"),
    ("CIV", "Côte d'Ivoire"), ("HRV", "Croatia"), ("CUB", "Cuba"), ("CYP", "Cyprus"), ("DOM", "Dominican Republic"),
    ("ECU", "Ecuador"), ("ETH", "Ethiopia"), ("FJI", "Fiji"), ("GEO", "Georgia"), ("GTM", "Guatemala"),
    ("IRQ", "Iraq"), ("JAM", "Jamaica"), ("JOR", "Jordan"), ("KWT", "Kuwait"), ("LVA", "Latvia"),
    ("LBN", "Lebanon"), ("LTU", "Lithuania"), ("LUX", "Luxembourg"), ("MDG", "Madagascar"), ("MLT", "Malta"),
    ("MUS", "Mauritius"), ("MOZ", "Mozambique"), ("NAM", "Namibia"), ("NPL", "Nepal"), ("OMN", "Oman"),
    ("PAN", "Panama"), ("PER", "Peru"), ("RWA", "Rwanda"),
]
FRANCOPHONE = {"FRA", "BEL", "SEN", "MAR", "TUN", "CIV", "CMR", "MDG", "DZA", "LUX", "CHE"}
HISPANOPHONE = {"ESP", "MEX", "COL", "CHL", "ARG", "URY", "VEN", "BOL", "CRI", "CUB", "DOM", "ECU", "GTM", "PAN",
                "PER"}
RUSSOPHONE = {"RUS", "BLR", "KAZ", "UZB", "ARM", "AZE"}
ARABOPHONE = {"EGY", "SAU", "QAT", "ARE", "IRQ", "JOR", "KWT", "LBN", "OMN"}
SINOPHONE = {"CHN"}

HOST = [
    ("vnm-president", "President of Viet Nam", "VNM", "Head of State, chairs the ceremony", "vvip"),
    ("vnm-pm", "Prime Minister of Viet Nam", "VNM", "Head of Government", "vvip"),
    ("vnm-mps", "Minister of Public Security of Viet Nam", "VNM", "Minister", "vip"),
    ("vnm-mfa", "Minister of Foreign Affairs of Viet Nam", "VNM", "Minister", "vip"),
    ("un-sg", "Secretary-General of the United Nations", "UN", "Secretary-General", "vvip"),
    ("unodc-ed", "Executive Director of UNODC", "UNODC", "Head of agency", "vip"),
]
OFFICES = [
    ("VNM", "Deputy Minister of Public Security"), ("VNM", "Deputy Minister of Foreign Affairs"),
    ("VNM", "Deputy Minister of Information and Communications"), ("VNM", "Deputy Minister of Justice"),
    ("VNM", "Director, Department of Cybersecurity and High-Tech Crime Prevention"),
    ("VNM", "Director, Department of International Law and Treaties"),
    ("VNM", "Vice-President, Supreme People's Procuracy"), ("VNM", "Director, National Cyber Security Centre"),
    ("UNODC", "Director, Division for Treaty Affairs"),
    ("UNODC", "Chief, Cybercrime and Anti-Money Laundering Section"),
    ("UNODC", "Regional Representative for Southeast Asia and the Pacific"),
    ("UNODC", "Global Programme on Cybercrime"),
    ("INTERPOL", "Executive Director of Police Services"), ("INTERPOL", "Director of Cybercrime"),
    ("ASEAN", "Deputy Secretary-General of ASEAN"), ("ASEANAPOL", "Executive Director of ASEANAPOL"),
    ("EU", "Director, European Cybercrime Centre"), ("EU", "EU Special Envoy for Digital Affairs"),
    ("AU", "Commissioner for Political Affairs, Peace and Security"), ("ITU", "Director, Telecommunication "
                                                                             "Development Bureau"),
    ("UNDP", "Resident Representative in Viet Nam"), ("UNICEF", "Representative in Viet Nam"),
    ("UNOCT", "Director, Counter-Terrorism Centre"), ("OHCHR", "Regional Representative"),
    ("COE", "Head of the Cybercrime Programme Office"), ("OAS", "Cyber Security Programme Coordinator"),
    ("WB", "Digital Development Lead"), ("IMF", "Financial Integrity Advisor"),
    ("GFCE", "Director of the Global Forum on Cyber Expertise"), ("FIRST", "Chair of the Board"),
]
RT_THEMES = [
    "Electronic evidence across borders", "Ransomware and critical infrastructure", "Online child sexual abuse",
    "Cryptocurrency and money laundering", "Capacity building for developing countries", "Human rights safeguards",
    "Public-private cooperation", "Cyber-enabled fraud", "Mutual legal assistance in practice",
    "24/7 networks of contact points", "Victim support and redress", "Artificial intelligence and cybercrime",
    "Cybercrime in the ASEAN region", "Dark web markets", "Protecting elections online", "Youth and cyber hygiene",
    "Financial sector resilience", "Telecom fraud and scam centres", "Gender and cybercrime",
    "Judicial training on digital evidence",
]


def _day_list(first: date, days: int) -> list[dict[str, str]]:
    return [{"date": (first + timedelta(days=d)).isoformat(), "start": "08:00", "end": "18:00"} for d in range(days)]


def _at(first: date, day: int, hhmm: str) -> str:
    return f"{(first + timedelta(days=day)).isoformat()}T{hhmm}"


def _rooms(bilateral_rooms: int, round_table_rooms: int) -> list[dict[str, Any]]:
    rooms: list[dict[str, Any]] = [
        {"id": "plenary", "name": "Plenary Hall", "zone": "ncc", "capacity": 3500,
         "features": ["broadcast", "interpretation", "signing"], "security_level": 3, "changeover_minutes": 30,
         "type": "plenary"},
        {"id": "hall-a", "name": "Conference Hall A", "zone": "ncc", "capacity": 800,
         "features": ["broadcast", "interpretation"], "security_level": 2, "changeover_minutes": 15, "type": "hall"},
        {"id": "hall-b", "name": "Conference Hall B", "zone": "ncc", "capacity": 500,
         "features": ["broadcast", "interpretation"], "security_level": 2, "changeover_minutes": 15, "type": "hall"},
        {"id": "hall-c", "name": "Conference Hall C", "zone": "ncc", "capacity": 300,
         "features": ["broadcast", "interpretation"], "security_level": 2, "changeover_minutes": 15, "type": "hall"},
    ]
    sizes = [120, 100, 100, 80, 80, 60]
    for i in range(round_table_rooms):
        rooms.append({"id": f"rt-room-{i + 1}", "name": f"Round-table Room {i + 1}", "zone": "ncc",
                      "capacity": sizes[i % len(sizes)], "features": ["interpretation"], "security_level": 1,
                      "changeover_minutes": 15, "type": "round_table"})
    for i in range(bilateral_rooms):
        rooms.append({"id": f"bil-{i + 1:02d}", "name": f"Bilateral Room {i + 1}", "zone": "ncc", "capacity": 12,
                      "features": ["flags"], "security_level": 2, "type": "bilateral"})
    rooms += [
        {"id": "gh-salon-1", "name": "Guest House Salon 1", "zone": "guest-house", "capacity": 16,
         "features": ["flags"], "security_level": 3, "type": "salon"},
        {"id": "gh-salon-2", "name": "Guest House Salon 2", "zone": "guest-house", "capacity": 16,
         "features": ["flags"], "security_level": 3, "type": "salon"},
        {"id": "press", "name": "Press Room", "zone": "ncc", "capacity": 200, "features": ["broadcast"],
         "security_level": 0, "type": "press"},
    ]
    return rooms


def _language(code: str) -> str | None:
    for resource, group in (("interp-fr", FRANCOPHONE), ("interp-es", HISPANOPHONE), ("interp-ru", RUSSOPHONE),
                            ("interp-ar", ARABOPHONE), ("interp-zh", SINOPHONE)):
        if code in group:
            return resource
    return None


def _build(countries: list[tuple[str, str]], bilaterals: int, days: int, seed: int, name: str,
           round_tables: int, bilateral_rooms: int) -> dict[str, Any]:
    rng = random.Random(seed)
    first = date(2025, 10, 25)
    last_day = days - 1
    participants: list[dict[str, Any]] = []
    for pid, title, delegation, role, tier in HOST:
        participants.append({"id": pid, "name": title, "delegation": delegation, "role": role, "tier": tier,
                             "max_events_per_day": 12 if tier == "vvip" else None,
                             "min_break_minutes": 0})
    n_vvip = max(1, len(countries) * 23 // 100)
    signing = set(range(min(len(countries), max(1, len(countries) * 60 // 110))))
    heads: list[str] = []
    for index, (code, country) in enumerate(countries):
        vvip = index < n_vvip
        head: dict[str, Any] = {"id": f"{code.lower()}-hod", "name": f"Head of delegation of {country}",
                                "delegation": code,
                                "role": "Head of State or Government" if vvip else "Minister",
                                "tier": "vvip" if vvip else "vip",
                                "max_events_per_day": 8 if vvip else None,
                                "min_break_minutes": 15 if vvip else 0}
        if index not in signing:
            # Not signing: some arrive after the opening, some leave early on the last day.
            arrival = rng.choice(["08:00", "08:00", "11:00", "13:00"])
            departure = rng.choice(["18:00", "18:00", "15:00", "12:00"]) if days > 1 else "18:00"
            head["available"] = [{"start": _at(first, 0, arrival), "end": _at(first, last_day, departure)}]
        elif days > 1 and rng.random() < 0.35:
            head["available"] = [{"start": _at(first, 0, "08:00"), "end": _at(first, last_day, "13:00")}]
        participants.append(head)
        heads.append(head["id"])
    officials: list[str] = []
    for index, (org, office) in enumerate(OFFICES):
        pid = f"{org.lower()}-off-{index + 1:02d}"
        participants.append({"id": pid, "name": f"{office} ({org})", "delegation": org, "role": office,
                             "tier": "standard"})
        officials.append(pid)
    experts = []
    for index in range(max(20, round_tables)):
        code, country = countries[(index * 7) % len(countries)]
        pid = f"{code.lower()}-expert-{index + 1:02d}"
        participants.append({"id": pid, "name": f"Cybercrime expert of the delegation of {country}",
                             "delegation": code, "role": "Expert", "tier": "standard"})
        experts.append(pid)

    events: list[dict[str, Any]] = [
        {"id": "opening", "title": "Opening ceremony and summit of the Hanoi Convention", "kind": "high_level",
         "duration_minutes": 120, "participants": ["vnm-president", "un-sg", "vnm-pm", "vnm-mps", "vnm-mfa",
                                                   "unodc-ed"],
         "attendance": 3000, "features": ["broadcast", "interpretation"], "rooms": ["plenary"],
         "exclusive": True, "pinned": {"room": "plenary", "start": _at(first, 0, "09:00")},
         "uses": {"press-pool": 1}},
        {"id": "signing", "title": "Signing ceremony of the Hanoi Convention", "kind": "high_level",
         "duration_minutes": 60, "participants": ["vnm-president", "un-sg"] + [heads[i] for i in sorted(signing)],
         "attendance": 1500, "features": ["signing"], "rooms": ["plenary"], "exclusive": True,
         "after": ["opening"], "latest_end": _at(first, 0, "14:00"), "uses": {"press-pool": 1}},
    ]
    seminar_leads = [("hl-seminar-mps", "High-level seminar: national cybersecurity strategies", "vnm-mps"),
                     ("hl-seminar-unodc", "High-level seminar: implementing the Convention", "unodc-ed"),
                     ("hl-seminar-mfa", "High-level seminar: international cooperation", "vnm-mfa"),
                     ("hl-seminar-justice", "High-level seminar: criminal justice in the digital age", officials[3]),
                     ("hl-seminar-ict", "High-level seminar: a safe cyberspace for people", officials[2])]
    for index, (eid, title, lead) in enumerate(seminar_leads):
        day = index % days
        events.append({"id": eid, "title": title, "kind": "high_level", "duration_minutes": 90,
                       "participants": [lead, officials[8 + index], officials[12 + index]],
                       "attendance": rng.choice([250, 300, 450]), "features": ["broadcast", "interpretation"],
                       "earliest": _at(first, day, "13:00" if day == 0 else "08:00"),
                       "uses": {"interp-fr": 1, "interp-es": 1}})
    events.append({"id": "closing", "title": "Closing ceremony", "kind": "high_level", "duration_minutes": 60,
                   "participants": ["vnm-mps", "unodc-ed"], "attendance": 1200,
                   "features": ["broadcast", "interpretation"], "rooms": ["plenary"], "exclusive": True,
                   "after": ["signing"], "earliest": _at(first, last_day, "16:00"), "uses": {"press-pool": 1}})

    # Round tables: each official chairs or sits on a handful; panellists from the experts.
    for index in range(round_tables):
        theme = RT_THEMES[index % len(RT_THEMES)]
        chair = officials[index % len(officials)]
        panel = rng.sample(experts, rng.randint(2, 3))
        if rng.random() < 0.3:
            panel.append(officials[(index + 11) % len(officials)])
        event: dict[str, Any] = {"id": f"rt-{index + 1:02d}", "title": f"Round table: {theme}",
                                 "kind": "round_table", "duration_minutes": 90,
                                 "participants": [chair, *[p for p in panel if p != chair]],
                                 "attendance": rng.choice([40, 50, 60, 80, 100]), "features": ["interpretation"]}
        language = rng.choice(["interp-fr", "interp-es", "interp-ru", "interp-ar", "interp-zh", None])
        if language:
            event["uses"] = {language: 1}
        events.append(event)

    # Bilateral requests: the host's leaders and the Secretary-General are in high demand.
    demand = [("vnm-president", 0.17, 10), ("vnm-pm", 0.14, 9), ("un-sg", 0.17, 9), ("vnm-mfa", 0.09, 7),
              ("vnm-mps", 0.07, 7), ("unodc-ed", 0.07, 6)]
    pairs: set[tuple[str, str]] = set()
    requests: list[tuple[str, str, int]] = []
    for leader, share, top in demand:
        wanted = int(round(bilaterals * share))
        partners = rng.sample(heads, min(wanted, len(heads)))
        for partner in partners:
            tier_bonus = 2 if partners.index(partner) < n_vvip else 0
            requests.append((leader, partner, max(1, min(10, rng.randint(top - 4, top) + tier_bonus - 2))))
            pairs.add((leader, partner))
    attempts = 0
    while len(requests) < bilaterals and attempts < bilaterals * 50:
        attempts += 1
        a, b = sorted(rng.sample(heads, 2))
        if (a, b) in pairs:
            continue
        pairs.add((a, b))
        requests.append((a, b, rng.randint(1, 6)))
    tier_of = {p["id"]: p["tier"] for p in participants}
    delegation_of = {p["id"]: p["delegation"] for p in participants}
    for index, (a, b, priority) in enumerate(requests[:bilaterals]):
        event = {"id": f"bil-{index + 1:04d}", "title": f"Bilateral {delegation_of[a]} - {delegation_of[b]}",
                 "kind": "bilateral", "duration_minutes": 30, "participants": [a, b], "features": ["flags"],
                 "priority": priority}
        language = _language(delegation_of[b]) or _language(delegation_of[a])
        if language:
            event["uses"] = {language: 1}
        if "vvip" not in (tier_of[a], tier_of[b]):
            # Guest-house salons are kept for heads of state and government.
            event["rooms"] = [f"bil-{i + 1:02d}" for i in range(bilateral_rooms)]
        events.append(event)

    return {
        "name": name,
        "timezone": "Asia/Ho_Chi_Minh",
        "slot_minutes": 15,
        "days": _day_list(first, days),
        "zones": [{"id": "ncc", "name": "National Convention Center"},
                  {"id": "guest-house", "name": "State Guest House"}],
        "travel_minutes": [{"from": "ncc", "to": "guest-house", "minutes": 30}],
        "rooms": _rooms(bilateral_rooms, 6),
        "participants": participants,
        "events": events,
        "resources": [{"id": "interp-fr", "name": "French interpretation teams", "capacity": 4},
                      {"id": "interp-es", "name": "Spanish interpretation teams", "capacity": 4},
                      {"id": "interp-ru", "name": "Russian interpretation teams", "capacity": 3},
                      {"id": "interp-ar", "name": "Arabic interpretation teams", "capacity": 3},
                      {"id": "interp-zh", "name": "Chinese interpretation teams", "capacity": 3},
                      {"id": "press-pool", "name": "Host broadcaster and press pool", "capacity": 2}],
        "security": {"vvip_min_room_level": 2, "sweep_minutes": 15,
                     "max_vvip_events_per_zone": {"ncc": 12, "guest-house": 2}},
    }


def hanoi_scenario() -> Scenario:
    """The default model case: the Hanoi Convention signing, 25-26 October 2025."""
    data = _build(COUNTRIES[:110], bilaterals=270, days=2, seed=2025,
                  name="Signing ceremony of the UN Convention against Cybercrime (Hanoi Convention), "
                       "25-26 October 2025", round_tables=38, bilateral_rooms=14)
    # On the day a planner would rather cut a round table's or a seminar's closing remarks than move it: a round
    # table may lose a quarter of an hour (the chair cuts the last round of the floor) and a 90-minute high-level
    # seminar may run 75 minutes (one speaker fewer); ceremonies (opening, signing, closing) run as planned.
    data["shortening"] = {"kinds": {"round_table": 15}}
    for event in data["events"]:
        if event["id"].startswith("hl-seminar-"):
            event["min_duration_minutes"] = event["duration_minutes"] - 15
    return parse_scenario(data)


def generate_scenario(delegations: int, bilaterals: int, days: int, seed: int) -> Scenario:
    """A synthetic summit shaped like Hanoi: ``delegations`` heads, ``bilaterals`` requests, ``days`` days."""
    if delegations < 2 or days < 1 or bilaterals < 0:
        raise ValueError("need at least 2 delegations, 1 day and a non-negative number of bilaterals")
    countries = [(f"D{i + 1:03d}", f"Delegation {i + 1}") for i in range(delegations)]
    data = _build(countries, bilaterals=bilaterals, days=days, seed=seed,
                  name=f"Synthetic summit: {delegations} delegations, {bilaterals} requests, {days} days",
                  round_tables=min(38 * days // 2 or 19, 80), bilateral_rooms=max(6, delegations // 10))
    return parse_scenario(data)


HEADER = """\
# The default model case of summit-scheduler: the signing ceremony of the UN Convention
# against Cybercrime (the "Hanoi Convention"), 25-26 October 2025, National Convention
# Center, Hanoi. Built from the seed articles (shared/seeds/): about 110 countries and many
# organisations, 93 delegations confirmed a week ahead, 60 signing, over 1,000 delegates,
# 8 high-level events and seminars, 38 round tables, and bilateral meetings between heads
# of state, ministers, the host's leaders and the UN Secretary-General. Offices are named,
# not people; request lists and availabilities are plausible, not reported facts.
# After a summit-day report, a re-plan may shorten a round table by up to 15 minutes and a
# high-level seminar to 75 minutes (the chair cuts the last round of the floor, one speaker
# fewer) rather than move or drop it; ceremonies run as planned (`shortening`, `min_duration_minutes`).
# Generated by `python -m solver.generate` (solver/generate.py): edit that, not this file.
"""


def main() -> None:
    path = Path(__file__).resolve().parent.parent / "scenarios" / "hanoi-2025.yaml"
    dump_scenario(hanoi_scenario(), path)
    path.write_text(HEADER + path.read_text(encoding="utf-8"), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
