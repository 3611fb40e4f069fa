"""Generate the evaluation sample (issue 19): an invented subset of the evaluation system,
on-site checklists for the 25 site categories, site inspections, one inspection round, a
household survey, materials and the six-lists tasks.

Deterministic (its own seed, so the files of generate.py stay as they were); reads sites.csv,
communities.csv and problems.csv written by generate.py. Dates are article-era (2022-08-05),
shifted by the loader like every other sample file.

Run:  python sample_data/generate_evaluation.py   (generate.py runs it too)
"""

from __future__ import annotations

import csv
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 20241119
ARTICLE_DAY = date(2022, 8, 5)
NOW = datetime.combine(ARTICLE_DAY, time(13, 0))
WEEKS = 12
EDITION = ("2024", 2024, "全国文明城市测评体系（2024年版，示例节选）",
           "National civilized-city evaluation system (2024 edition, invented excerpt)")

PARTS = [  # code, zh, en, kind
    ("P1", "思想道德建设", "Ideological and moral development", "basic"),
    ("P2", "公共文化与志愿服务", "Public culture and volunteer service", "basic"),
    ("P3", "公共秩序与安全", "Public order and safety", "basic"),
    ("P4", "城市环境与市容", "Urban environment and appearance", "basic"),
    ("P5", "公共服务", "Public services", "basic"),
    ("P6", "群众知晓、支持与满意", "Awareness, support and satisfaction", "basic"),
    ("P7", "特色指标", "Distinctive indicators", "distinctive"),
]
ITEMS = [  # code, part, zh, en
    ("I1.1", "P1", "社会主义核心价值观宣传", "Publicity of the core socialist values"),
    ("I1.2", "P1", "未成年人思想道德建设", "Moral development of minors"),
    ("I1.3", "P1", "诚信建设", "Building integrity"),
    ("I2.1", "P2", "新时代文明实践", "Civilization practice in the new era"),
    ("I2.2", "P2", "公共文化服务", "Public cultural services"),
    ("I3.1", "P3", "交通秩序", "Traffic order"),
    ("I3.2", "P3", "公共安全", "Public safety"),
    ("I3.3", "P3", "窗口行业文明服务", "Civil service at service counters"),
    ("I4.1", "P4", "市容环境", "Cityscape and sanitation"),
    ("I4.2", "P4", "垃圾分类", "Waste sorting"),
    ("I4.3", "P4", "生态环境", "Ecological environment"),
    ("I5.1", "P5", "公共服务设施", "Public service facilities"),
    ("I5.2", "P5", "社区服务", "Community services"),
    ("I6.1", "P6", "创建知晓与支持", "Awareness of and support for the campaign"),
    ("I6.2", "P6", "市民参与", "Citizens' participation"),
    ("I7.1", "P7", "特色创建", "Distinctive work"),
]
CONTENTS = [  # code, item, zh, en, points, method, lead unit, categories
    ("C01", "I1.1", "主次干道、公交站点、商业大街公益广告规范设置",
     "Public-service ads on roads, bus stops and commercial streets", 3, "onsite", "区委宣传部",
     "main_road;bus_stop;commercial_street;metro_station"),
    ("C02", "I1.1", "市民对社会主义核心价值观的知晓率", "Citizens' awareness of the core values",
     3, "survey", "区委宣传部", ""),
    ("C03", "I1.2", "学校周边无违规经营、无营业性网吧", "No illegal trade or internet cafés "
     "around schools", 3, "onsite", "区教育局", "school_surroundings;internet_cafe"),
    ("C04", "I1.2", "未成年人思想道德建设工作台账", "Records of work on minors' moral development",
     2, "materials", "区教育局", ""),
    ("C05", "I1.3", "诚信建设制度与红黑榜发布", "Integrity rules and published red and black lists",
     3, "materials", "区发改局", ""),
    ("C06", "I2.1", "新时代文明实践站规范运行", "Practice stations run to standard", 3, "onsite",
     "区委宣传部", "practice_station"),
    ("C07", "I2.1", "志愿服务活动记录与志愿者注册", "Volunteer activity records and registration",
     3, "materials", "区文明办", ""),
    ("C08", "I2.1", "居民参与志愿服务的比例", "Share of residents who volunteer", 2, "survey",
     "区文明办", ""),
    ("C09", "I2.2", "图书馆、文化馆、博物馆免费开放与服务规范",
     "Libraries, cultural centres and museums open free and serve well", 3, "onsite",
     "区文旅局", "library;cultural_centre;museum"),
    ("C10", "I2.2", "对公共文化设施的满意度", "Satisfaction with cultural facilities", 3,
     "survey", "区文旅局", ""),
    ("C11", "I3.1", "主次干道交通秩序与车辆停放", "Traffic order and parking on main roads", 4,
     "onsite", "区交警大队", "main_road;commercial_street"),
    ("C12", "I3.1", "公交站、地铁站、火车站、客运站候车秩序",
     "Order at bus stops, metro, railway and coach stations", 4, "onsite", "区交通局",
     "bus_stop;metro_station;railway_station;coach_station"),
    ("C13", "I3.2", "建筑工地围挡与扬尘管控", "Hoardings and dust control at construction sites",
     3, "onsite", "区住建局", "construction_site"),
    ("C14", "I3.2", "安全生产与应急预案", "Work safety and emergency plans", 2, "materials",
     "区应急局", ""),
    ("C15", "I3.2", "市民安全感", "Citizens' sense of safety", 3, "survey", "区公安分局", ""),
    ("C16", "I3.3", "宾馆饭店、商场超市、银行网点文明服务",
     "Civil service in hotels, shops and banks", 2, "onsite", "区商务局",
     "hotel;shopping_mall;bank"),
    ("C17", "I4.1", "背街小巷、老旧小区环境卫生", "Sanitation of back streets and old compounds",
     5, "onsite", "区城管局", "back_street;old_compound"),
    ("C18", "I4.1", "农贸市场环境与秩序", "Environment and order of farmers' markets", 4,
     "onsite", "区市场监管局", "farmers_market"),
    ("C19", "I4.1", "公共厕所卫生", "Clean public toilets", 3, "onsite", "区城管局",
     "public_toilet"),
    ("C20", "I4.1", "公园广场、旅游景区环境", "Parks, squares and scenic spots", 3, "onsite",
     "区城管局", "park_square;scenic_spot"),
    ("C21", "I4.2", "居民社区垃圾分类", "Waste sorting in residential communities", 3, "onsite",
     "区城管局", "residential_community"),
    ("C22", "I4.2", "垃圾分类知晓率", "Awareness of waste sorting", 2, "survey", "区城管局", ""),
    ("C23", "I4.2", "垃圾分类工作方案与台账", "Waste-sorting plan and records", 2, "materials",
     "区城管局", ""),
    ("C24", "I4.3", "生态环境保护工作", "Environmental protection work", 2, "materials",
     "生态环境分局", ""),
    ("C25", "I5.1", "政务服务大厅便民服务", "Service at the government service hall", 3,
     "onsite", "区营商局", "government_hall"),
    ("C26", "I5.1", "医院就医秩序与便民设施", "Order and conveniences at hospitals", 3, "onsite",
     "区卫健局", "hospital"),
    ("C27", "I5.1", "无障碍设施建设与维护", "Barrier-free facilities", 2, "onsite", "区住建局",
     "main_road;government_hall;hospital"),
    ("C28", "I5.2", "社区服务与居民议事", "Community services and residents' councils", 2,
     "materials", "区民政局", ""),
    ("C29", "I5.2", "对社区服务的满意度", "Satisfaction with community services", 4, "survey",
     "区民政局", ""),
    ("C30", "I6.1", "创建工作知晓率", "Awareness of the campaign", 4, "survey", "区文明办", ""),
    ("C31", "I6.1", "创建工作支持率", "Support for the campaign", 4, "survey", "区文明办", ""),
    ("C32", "I6.1", "创建工作满意度", "Satisfaction with the campaign", 4, "survey", "区文明办",
     ""),
    ("C33", "I6.2", "市民参与创建活动的比例", "Share of citizens taking part", 4, "survey",
     "区文明办", ""),
    ("C34", "I7.1", "“1+3+N”点位包保机制运行", "The 1+3+N site responsibility at work", 4,
     "materials", "区文明办", ""),
    ("C35", "I7.1", "网格化问题闭环处置", "The grid's closed problem loop", 4, "materials",
     "区文明办", ""),
    ("C36", "I7.1", "农贸市场“五抓”长效管理", "Five-grasp management of farmers' markets", 4,
     "onsite", "区市场监管局", "farmers_market"),
    ("C37", "I7.1", "老旧小区改造与共治共管", "Old-compound renovation and co-governance", 4,
     "onsite", "区住建局", "old_compound;residential_community"),
    ("C38", "I7.1", "志愿服务品牌项目", "Flagship volunteer projects", 4, "materials", "区文明办",
     ""),
]
# the checklist item an on-site content brings to its categories: code, zh, en, class
CONTENT_ITEMS = {
    "C01": ("ads", "公益广告设置规范", "Public-service ads in place", "publicity"),
    "C03": ("no_illegal_trade", "周边无违规经营", "No illegal trade nearby", "public_order"),
    "C06": ("station_open", "阵地开放、活动有记录", "Open, with activities recorded",
            "service_management"),
    "C09": ("free_opening", "免费开放、服务规范", "Open free, good service", "service_management"),
    "C11": ("traffic_order", "交通秩序与车辆停放", "Traffic order and parking", "public_order"),
    "C12": ("waiting_order", "候车秩序良好", "Orderly waiting", "public_order"),
    "C13": ("hoarding_dust", "围挡完好、扬尘管控", "Hoardings and dust control", "infrastructure"),
    "C16": ("civil_service", "文明服务规范", "Civil service", "service_management"),
    "C17": ("street_clean", "路面及楼道整洁", "Clean streets and stairwells", "sanitation"),
    "C18": ("market_order", "市场环境与秩序", "Market environment and order", "sanitation"),
    "C19": ("toilet_clean", "厕所干净无异味", "Clean, odour-free toilets", "sanitation"),
    "C20": ("park_clean", "园区环境整洁", "Clean grounds", "sanitation"),
    "C21": ("waste_sorting", "垃圾分类投放规范", "Waste sorted properly", "sanitation"),
    "C25": ("convenience", "便民服务设施齐全", "Conveniences in place", "service_management"),
    "C26": ("hospital_order", "就医秩序良好", "Orderly patient flow", "service_management"),
    "C27": ("barrier_free", "无障碍设施完好", "Barrier-free facilities intact", "infrastructure"),
    "C36": ("five_grasp", "长效管理制度落实", "Management rules applied", "service_management"),
    "C37": ("co_governance", "小区设施维护与共治", "Facilities kept, co-governed",
            "infrastructure"),
}
GENERIC_ITEMS = [
    ("clean", "环境整洁无垃圾", "Clean, no litter", "sanitation"),
    ("facilities", "公共设施完好", "Public facilities intact", "infrastructure"),
    ("civil_behaviour", "无不文明行为", "No uncivil behaviour", "civilized_quality"),
    ("publicity", "公益宣传氛围", "Public-welfare publicity", "publicity"),
]
QUESTIONS = [  # code, zh, en, dimension, content
    ("Q01", "您是否了解社会主义核心价值观的内容？", "Do you know the core socialist values?",
     "awareness", "C02"),
    ("Q02", "过去一年您是否参加过志愿服务？", "Did you volunteer in the past year?",
     "participation", "C08"),
    ("Q03", "您对身边的公共文化设施是否满意？", "Are you satisfied with cultural facilities "
     "near you?", "satisfaction", "C10"),
    ("Q04", "您在本区生活是否感到安全？", "Do you feel safe living in the district?",
     "satisfaction", "C15"),
    ("Q05", "您是否知道垃圾分类的投放要求？", "Do you know how to sort your waste?",
     "awareness", "C22"),
    ("Q06", "您对所在社区的服务是否满意？", "Are you satisfied with your community's services?",
     "satisfaction", "C29"),
    ("Q07", "您是否知道本市正在创建全国文明城市？", "Do you know the city is campaigning to be "
     "a national civilized city?", "awareness", "C30"),
    ("Q08", "您是否支持创建全国文明城市？", "Do you support the campaign?", "support", "C31"),
    ("Q09", "您对创建工作的成效是否满意？", "Are you satisfied with what the campaign achieved?",
     "satisfaction", "C32"),
    ("Q10", "您是否参加过创建活动？", "Have you taken part in campaign activities?",
     "participation", "C33"),
]
BASE_RATES = {"Q01": 0.88, "Q02": 0.42, "Q03": 0.83, "Q04": 0.91, "Q05": 0.78, "Q06": 0.81,
              "Q07": 0.93, "Q08": 0.95, "Q09": 0.84, "Q10": 0.47}
POPULATION = {"taiyuanjie": 52_400, "nanshichang": 61_800, "beishichang": 48_300,
              "xita": 39_600, "bajing": 57_200, "maluwan": 63_900, "jixian": 44_100,
              "xinhua": 50_700, "nanhu": 71_500, "changbai": 88_200, "hunhewan": 46_800,
              "shenshuiwan": 59_300}
AGE_BANDS = ["18-29", "30-44", "45-59", "60+"]
UNUSED_CATEGORIES = ("museum", "scenic_spot")  # no inspection yet: the labelled fallback
SOURCES = (("self_check", 0.5), ("third_party", 0.25), ("spot_check", 0.25))
INSPECTORS = ["第三方测评组甲", "第三方测评组乙", "区文明办督查一组", "区文明办督查二组"]
MATERIAL_TITLES = {
    "C04": ["未成年人思想道德建设工作方案", "学校德育活动台账"],
    "C05": ["诚信建设工作制度", "诚信红黑榜发布记录"],
    "C07": ["志愿服务活动记录（季度）", "志愿者注册统计表"],
    "C14": ["安全生产责任清单", "应急预案及演练记录"],
    "C23": ["垃圾分类工作方案", "垃圾分类工作台账"],
    "C24": ["生态环境保护工作总结"],
    "C28": ["居民议事会会议纪要", "社区服务清单"],
    "C34": ["“1+3+N”包保责任表", "包保单位履职记录"],
    "C35": ["网格化管理制度", "问题闭环处置月报"],
    "C38": ["志愿服务品牌项目申报书", "品牌项目活动影像资料"],
}
UNIT_PEOPLE = ["王主任", "李科长", "张副局长", "刘书记", "陈科长", "赵主任", "周副主任"]


def write_csv(name: str, rows: list[dict]) -> None:
    """Write rows (dicts with the same keys) as UTF-8 CSV."""
    with open(HERE / name, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)


def read_csv(name: str) -> list[dict]:
    """Read one of generate.py's files."""
    with open(HERE / name, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def iso(value: date | datetime | None) -> str:
    """Return an ISO string, or '' for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value.isoformat()


def system_rows() -> list[dict]:
    """Return the evaluation system as the import template's rows (one per content)."""
    parts = {p[0]: p for p in PARTS}
    items = {i[0]: i for i in ITEMS}
    questions = {q[4]: q for q in QUESTIONS}  # a survey content brings its question
    rows = []
    for code, item, zh, en, points, method, unit, cats in CONTENTS:
        part = parts[items[item][1]]
        q = questions.get(code, ("", "", "", ""))
        rows.append({"edition": EDITION[0], "year": EDITION[1], "edition_zh": EDITION[2],
                     "edition_en": EDITION[3], "part": part[0], "part_zh": part[1],
                     "part_en": part[2], "part_kind": part[3], "item": item,
                     "item_zh": items[item][2], "item_en": items[item][3], "content": code,
                     "content_zh": zh, "content_en": en, "points": points, "method": method,
                     "lead_unit": unit, "categories": cats, "question": q[0],
                     "question_zh": q[1], "question_en": q[2], "dimension": q[3]})
    return rows


def checklist_rows(categories: list[str]) -> list[dict]:
    """Return every category's checklist: its contents' items, then generic ones, 100 points."""
    rows = []
    for cat in categories:
        linked = [(c[0], CONTENT_ITEMS[c[0]]) for c in CONTENTS
                  if c[5] == "onsite" and cat in c[7].split(";")]
        items = [(content, *spec) for content, spec in linked]
        have = {spec[3] for _, spec in linked}
        for generic in GENERIC_ITEMS:
            if len(items) >= 5:
                break
            if generic[3] not in have or len(items) < 3:
                items.append(("", *generic))
        share = [30, 25, 20, 15, 10][:len(items)]
        share[0] += 100 - sum(share)
        for k, ((content, code, zh, en, cls), pts) in enumerate(zip(items, share, strict=True)):
            rows.append({"category": cat, "code": code, "name_zh": zh, "name_en": en,
                         "points": pts, "problem_class": cls, "content": content,
                         "sort_order": k + 1})
    return rows


def inspection_rows(g: np.random.Generator, sites: list[dict], checklist: list[dict]
                    ) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
    """Return inspections, item results, a round and its sites over the last WEEKS weeks."""
    by_cat: dict[str, list[dict]] = {}
    for row in checklist:
        by_cat.setdefault(row["category"], []).append(row)
    quality = {s["code"]: float(g.beta(8, 2)) for s in sites}
    usable = [s for s in sites if s["category"] not in UNUSED_CATEGORIES]
    start = NOW - timedelta(weeks=WEEKS)
    # the round: drawn 10 days ago, 40 sites stratified by category, 4 inspectors
    drawn_at = NOW - timedelta(days=10, hours=3)
    strata: dict[str, list[dict]] = {}
    for s in usable:
        strata.setdefault(s["category"], []).append(s)
    picked: list[dict] = []
    for cat in sorted(strata):
        members = strata[cat]
        k = max(1, round(40 * len(members) / len(usable)))
        idx = sorted(g.choice(len(members), size=min(k, len(members)), replace=False))
        picked += [members[i] for i in idx]
    rounds = [{"name": "第三方模拟测评第一轮", "seed": 2022, "sample_size": len(picked),
               "drawn_at": iso(drawn_at), "drawn_by": "office"}]
    round_sites = [{"round": rounds[0]["name"], "site": s["code"],
                    "inspector": INSPECTORS[i % len(INSPECTORS)]} for i, s in enumerate(picked)]
    done = {s["code"] for k, s in enumerate(picked) if k % 5 != 0}  # four in five done
    plan: list[tuple[dict, datetime, str | None]] = []
    for _ in range(600):
        site = usable[int(g.integers(len(usable)))]
        at = start + timedelta(minutes=int(g.integers(0, WEEKS * 7 * 24 * 60 - 600)))
        at = min(at.replace(hour=int(g.integers(8, 18))), NOW - timedelta(hours=1))
        plan.append((site, at, None))
    for k, s in enumerate(picked):
        if s["code"] in done:
            at = drawn_at + timedelta(days=1 + k % 8, hours=int(g.integers(0, 6)))
            plan.append((s, min(at, NOW - timedelta(hours=1)), rounds[0]["name"]))
    plan.sort(key=lambda p: p[1])
    inspections, results = [], []
    for n, (site, at, round_name) in enumerate(plan, start=1):
        code = f"SI{n:05d}"
        progress = (at - start) / (NOW - start)  # sites improve over the weeks
        source = "third_party" if round_name else str(
            g.choice([s for s, _ in SOURCES], p=[p for _, p in SOURCES]))
        got, total, fails = 0.0, 0.0, 0
        for item in by_cat[site["category"]]:
            pts = float(item["points"])
            p_pass = min(0.98, quality[site["code"]] + 0.08 * progress)
            passed = bool(g.random() < p_pass)
            score = pts if passed else float(round(pts * float(g.choice([0.0, 0.5])), 1))
            got += score
            total += pts
            fails += 0 if passed else 1
            results.append({"inspection": code, "category": site["category"],
                            "item": item["code"], "points": score, "passed": int(passed)})
        inspections.append({"code": code, "site": site["code"], "round": round_name or "",
                            "source": source,
                            "inspector": INSPECTORS[n % 4] if round_name or source != "self_check"
                            else f"{site['name_zh'][:4]}自查", "inspected_at": iso(at),
                            "points": got, "max_points": total, "findings": fails,
                            "note": ""})
    return inspections, results, rounds, round_sites


def survey_rows(g: np.random.Generator, communities: list[dict]) -> list[dict]:
    """Return about 1,200 households' answers, one column per question (是/否/blank)."""
    by_sub: dict[str, list[dict]] = {}
    for c in communities:
        by_sub.setdefault(c["subdistrict"], []).append(c)
    rows = []
    n = 0
    for sub in sorted(POPULATION):
        lift = float(g.normal(0, 0.04))
        size = int(70 + POPULATION[sub] / 1500)
        for _ in range(size):
            n += 1
            comm = by_sub[sub][int(g.integers(len(by_sub[sub])))]
            day = (NOW - timedelta(days=int(g.integers(0, WEEKS * 7)))).date()
            trend = 0.04 * (1 - (NOW.date() - day).days / (WEEKS * 7))
            row = {"respondent": f"R{n:05d}", "subdistrict": sub, "community": comm["code"],
                   "age_band": AGE_BANDS[int(g.integers(len(AGE_BANDS)))],
                   "responded_on": iso(day)}
            for q, *_ in QUESTIONS:
                if g.random() < 0.03:
                    row[q] = ""
                else:
                    p = min(0.99, max(0.05, BASE_RATES[q] + lift + trend))
                    row[q] = "是" if g.random() < p else "否"
            rows.append(row)
    return rows


def material_rows(g: np.random.Generator, subdistricts: list[str]
                  ) -> tuple[list[dict], list[dict], list[dict]]:
    """Return materials, their uploaded versions and reviews (no files: sample records)."""
    materials, versions, reviews = [], [], []
    units = {c[0]: c[6] for c in CONTENTS}
    n = 0
    for content, titles in MATERIAL_TITLES.items():
        for title in titles:
            n += 1
            code = f"MAT{n:03d}"
            sub = subdistricts[int(g.integers(len(subdistricts)))] if n % 3 == 0 else ""
            deadline = NOW + timedelta(days=int(g.integers(-20, 40)))
            state = str(g.choice(["accepted", "submitted", "returned", "missing"],
                                 p=[0.5, 0.2, 0.12, 0.18]))
            materials.append({"code": code, "content": content, "title": title,
                              "responsible_unit": units[content], "subdistrict": sub,
                              "deadline": iso(deadline.replace(hour=18, minute=0))})
            if state == "missing":
                continue
            first = NOW - timedelta(days=int(g.integers(20, 80)), hours=int(g.integers(0, 8)))
            kinds = ["pdf", "docx", "xlsx", "jpg"]
            kind = kinds[int(g.integers(len(kinds)))]
            versions.append({"material": code, "version": 1, "file_kind": kind,
                             "display_name": f"{title}.{kind}",
                             "size_bytes": int(g.integers(40_000, 3_000_000)),
                             "uploaded_at": iso(first), "uploaded_by": "sample"})
            if state == "submitted":
                continue
            reviewed = first + timedelta(days=int(g.integers(1, 6)))
            if state == "accepted" and g.random() < 0.4:  # returned once, then accepted
                reviews.append({"material": code, "version": 1, "accepted": 0,
                                "reason": "材料不完整，缺少盖章页", "at": iso(reviewed),
                                "reviewer": "office"})
                second = reviewed + timedelta(days=int(g.integers(2, 10)))
                versions.append({"material": code, "version": 2, "file_kind": kind,
                                 "display_name": f"{title}（修改稿）.{kind}",
                                 "size_bytes": int(g.integers(40_000, 3_000_000)),
                                 "uploaded_at": iso(second), "uploaded_by": "sample"})
                reviews.append({"material": code, "version": 2, "accepted": 1, "reason": "",
                                "at": iso(second + timedelta(days=2)), "reviewer": "office"})
                continue
            reviews.append({"material": code, "version": 1, "accepted": int(state == "accepted"),
                            "reason": "" if state == "accepted" else "数据口径与要求不符，请按模板重报",
                            "at": iso(reviewed), "reviewer": "office"})
    return materials, versions, reviews


def task_rows(g: np.random.Generator, sites: list[dict], problems: list[dict],
              subdistricts: list[str]) -> tuple[list[dict], list[dict]]:
    """Return one or two tasks per content and the open problems they are to solve."""
    cat_of = {s["code"]: s["category"] for s in sites}
    open_by_cat: dict[str, list[str]] = {}
    for p in problems:
        if p["status"] != "closed" and p["site"]:
            open_by_cat.setdefault(cat_of[p["site"]], []).append(p["code"])
    tasks, links = [], []
    n = 0
    for code, _item, zh, _en, _pts, method, unit, cats in CONTENTS:
        for k in range(1 + int(g.random() < 0.4)):
            n += 1
            sub = subdistricts[int(g.integers(len(subdistricts)))] if k == 1 else ""
            deadline = NOW + timedelta(days=int(g.integers(-25, 45)))
            done = deadline < NOW and g.random() < 0.5
            tasks.append({
                "code": f"T{n:03d}", "content": code,
                "task": f"{zh}：{'全面排查整改' if k == 0 else '辖区专项推进'}",
                "standard": f"达到测评体系“{zh}”的要求，测评得分率不低于90%",
                "measures": {"onsite": "每周巡查点位，问题当日交办、限时整改、复查销号",
                             "survey": "入户宣传、发放告知书，组织居民参与创建活动",
                             "materials": "按模板整理材料，部门负责人审核后网上申报"}[method],
                "responsible_unit": unit,
                "responsible_person": UNIT_PEOPLE[int(g.integers(len(UNIT_PEOPLE)))],
                "subdistrict": sub, "deadline": iso(deadline.replace(hour=18, minute=0)),
                "status": "done" if done else "open",
                "done_at": iso(deadline - timedelta(days=2)) if done else ""})
            pool = [c for cat in cats.split(";") if cat for c in open_by_cat.get(cat, [])]
            if method == "onsite" and pool:
                for i in sorted(g.choice(len(pool), size=min(3, len(pool)), replace=False)):
                    links.append({"task": f"T{n:03d}", "problem": pool[int(i)]})
    return tasks, links


def main() -> None:
    """Write every evaluation sample file."""
    g = np.random.default_rng(SEED)
    sites = read_csv("sites.csv")
    communities = read_csv("communities.csv")
    problems = read_csv("problems.csv")
    categories = [r["code"] for r in read_csv("site_categories.csv")]
    subdistricts = sorted(POPULATION)
    write_csv("evaluation_system.csv", system_rows())
    checklist = checklist_rows(categories)
    write_csv("site_checklist_items.csv", checklist)
    inspections, results, rounds, round_sites = inspection_rows(g, sites, checklist)
    write_csv("site_inspections.csv", inspections)
    write_csv("site_inspection_results.csv", results)
    write_csv("inspection_rounds.csv", rounds)
    write_csv("inspection_round_sites.csv", round_sites)
    survey = survey_rows(g, communities)
    write_csv("survey_responses.csv", survey)
    write_csv("subdistrict_population.csv", [{"subdistrict": s, "population": p}
                                             for s, p in sorted(POPULATION.items())])
    materials, versions, reviews = material_rows(g, subdistricts)
    write_csv("eval_materials.csv", materials)
    write_csv("eval_material_versions.csv", versions)
    write_csv("eval_material_reviews.csv", reviews)
    tasks, links = task_rows(g, sites, problems, subdistricts)
    write_csv("eval_tasks.csv", tasks)
    write_csv("eval_task_problems.csv", links)
    print(f"contents={len(CONTENTS)} checklist_items={len(checklist)} "
          f"site_inspections={len(inspections)} survey={len(survey)} materials={len(materials)} "
          f"tasks={len(tasks)}")


if __name__ == "__main__":
    main()
