"""Generate the sample data set of Heping District on the article's date (2022-08-05).

Deterministic: the same seed writes the same files. Every figure of DOMAIN.md is reproduced
exactly; everything else (names, positions, daily histories) is invented and plausible.

The district outline comes once from the package cnmaps (`get_adm_maps`, which converts its
AMap-sourced GCJ-02 boundary to WGS-84); it is written to district.geojson and reused after
that, so cnmaps is only needed when that file is missing. Subdistrict boundaries are an
approximate Voronoi division of that outline.

Run:  python sample_data/generate.py   (writes into the folder that holds this file)
"""

from __future__ import annotations

import csv
import json
import math
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
from shapely.geometry import MultiPoint, Point, mapping, shape
from shapely.ops import unary_union, voronoi_diagram

HERE = Path(__file__).resolve().parent
SEED = 20220805
ARTICLE_DAY = date(2022, 8, 5)
NOW = datetime.combine(ARTICLE_DAY, time(13, 0))  # the interview started at 13:00
HISTORY_DAYS = 365
STATION_WGS84 = (41.7950, 123.3942)  # Shenyang Railway Station, a datum check

SUBDISTRICTS = [
    # code, zh, en, seed lat, seed lon
    ("beishichang", "北市场", "Beishichang", 41.806, 123.412),
    ("xita", "西塔", "Xita", 41.795, 123.41),
    ("taiyuanjie", "太原街", "Taiyuan Street", 41.79, 123.395),
    ("nanshichang", "南市场", "Nanshichang", 41.78, 123.385),
    ("maluwan", "马路湾", "Maluwan", 41.783, 123.412),
    ("xinhua", "新华", "Xinhua", 41.772, 123.398),
    ("bajing", "八经", "Bajing", 41.77, 123.422),
    ("jixian", "集贤", "Jixian", 41.76, 123.385),
    ("nanhu", "南湖", "Nanhu", 41.758, 123.418),
    ("changbai", "长白", "Changbai", 41.728, 123.35),
    ("hunhewan", "浑河湾", "Hunhewan", 41.742, 123.41),
    ("shenshuiwan", "沈水湾", "Shenshuiwan", 41.706, 123.335),
]

STREETS = [
    ("南京街", "Nanjing Street"), ("太原街", "Taiyuan Street"), ("中华路", "Zhonghua Road"),
    ("南七马路", "Nanqi Road"), ("西安街", "Xi'an Street"), ("长沙街", "Changsha Street"),
    ("北九马路", "Beijiu Road"), ("香港路", "Hong Kong Road"), ("新华路", "Xinhua Road"),
    ("民族街", "Minzu Street"), ("北二马路", "Beier Road"), ("砂阳路", "Shayang Road"),
    ("三好街", "Sanhao Street"), ("文安路", "Wen'an Road"), ("南湖路", "Nanhu Road"),
    ("沈水路", "Shenshui Road"), ("长白路", "Changbai Road"), ("青年大街", "Qingnian Street"),
    ("十一纬路", "Shiyiwei Road"), ("南五马路", "Nanwu Road"), ("北京街", "Beijing Street"),
    ("南三马路", "Nansan Road"), ("集贤街", "Jixian Street"), ("八经街", "Bajing Street"),
    ("南八马路", "Naba Road"), ("西塔街", "Xita Street"), ("北五马路", "Beiwu Road"),
    ("市府大路", "Shifu Avenue"), ("光荣街", "Guangrong Street"), ("昆明街", "Kunming Street"),
    ("浑河大街", "Hunhe Street"), ("丽江街", "Lijiang Street"), ("桂林街", "Guilin Street"),
    ("和平大街", "Heping Street"), ("胜利大街", "Shengli Street"), ("天津街", "Tianjin Street"),
]

# 25 categories: code, zh, en, count, surroundings focus (farmers' markets, transport stations,
# communities and hospitals are judged on everything within 300 m).
CATEGORIES = [
    ("farmers_market", "农贸市场", "Farmers' market", 20, True),
    ("hospital", "医院", "Hospital", 16, True),
    ("railway_station", "火车站", "Railway station", 2, True),
    ("coach_station", "长途客运站", "Coach station", 2, True),
    ("bus_stop", "公交站点", "Bus stop", 38, True),
    ("metro_station", "地铁站", "Metro station", 14, True),
    ("residential_community", "居民社区", "Residential community", 63, True),
    ("old_compound", "老旧小区", "Old residential compound", 30, False),
    ("back_street", "背街小巷", "Back street", 26, False),
    ("main_road", "主次干道", "Main road", 20, False),
    ("commercial_street", "商业大街", "Commercial street", 8, False),
    ("school_surroundings", "学校周边", "School surroundings", 24, False),
    ("park_square", "公园广场", "Park or square", 12, False),
    ("government_hall", "政务服务大厅", "Government service hall", 5, False),
    ("library", "图书馆", "Library", 3, False),
    ("museum", "博物馆纪念馆", "Museum or memorial", 5, False),
    ("cultural_centre", "文化馆站", "Cultural centre", 8, False),
    ("internet_cafe", "网吧", "Internet café", 10, False),
    ("shopping_mall", "商场超市", "Shopping mall or supermarket", 12, False),
    ("hotel", "宾馆饭店", "Hotel or restaurant", 10, False),
    ("bank", "银行网点", "Bank branch", 10, False),
    ("construction_site", "建筑工地", "Construction site", 8, False),
    ("public_toilet", "公共厕所", "Public toilet", 20, False),
    ("practice_station", "新时代文明实践站", "Civilization practice station", 12, False),
    ("scenic_spot", "旅游景区", "Scenic spot", 3, False),
]

PROBLEM_CLASSES = [
    # code, zh, en, time limit (days), risk weight
    ("infrastructure", "基础设施", "Infrastructure", 15, 1.2),
    ("sanitation", "环境卫生", "Environmental sanitation", 3, 1.0),
    ("service_management", "服务管理", "Service management", 7, 0.8),
    ("public_order", "公共秩序", "Public order", 5, 1.1),
    ("publicity", "公益宣传", "Public-welfare publicity", 5, 0.7),
    ("civilized_quality", "文明素质", "Civilized quality", 3, 0.9),
]
PROBLEM_DESCRIPTIONS = {
    "infrastructure": ["路面破损", "井盖缺失", "路灯不亮", "护栏损坏", "盲道被占", "垃圾箱破损"],
    "sanitation": ["地面有垃圾", "卫生死角", "乱贴小广告", "垃圾未分类", "积水", "公厕不洁"],
    "service_management": ["服务窗口无引导", "便民设施缺失", "物业管理缺位", "无障碍设施缺失"],
    "public_order": ["占道经营", "乱停乱放", "非机动车乱停", "店外经营", "车辆逆行"],
    "publicity": ["公益广告缺失", "宣传栏破旧", "公益广告比例不足", "宣传内容过期"],
    "civilized_quality": ["随地吐痰", "闯红灯", "不文明养犬", "吸烟", "乱扔烟头"],
}
SOURCES = [("daily_inspection", 0.55), ("spot_check", 0.2), ("third_party", 0.1),
           ("public_report", 0.15)]

CHECKLIST = [
    # code, zh, en, max points, threshold (below = finding)
    ("environment_hygiene", "环境卫生", "Environment and hygiene", 20, 15),
    ("stall_order", "摊位秩序", "Stall order", 15, 11),
    ("facilities", "设施设备", "Facilities", 10, 7),
    ("fire_safety", "消防安全", "Fire safety", 15, 12),
    ("publicity_boards", "公益宣传", "Publicity boards", 10, 7),
    ("waste_sorting", "垃圾分类", "Waste sorting", 10, 7),
    ("food_safety", "食品安全", "Food safety", 12, 9),
    ("weights_measures", "计量器具", "Weights and measures", 8, 6),
]
HARDWARE = {"publicity_board": 266, "fire_facility": 46, "trash_bin_set": 28}

KEY_ROAD_QUANTITIES = [
    # item, unit, planned, done on the article's date
    ("road_km", "km", 6.0, 6.0),
    ("motor_lane_m2", "m²", 34000, 34000),
    ("sidewalk_m2", "m²", 21000, 21000),
    ("green_space_m2", "m²", 8578, 8578),
    ("pocket_parks", "个", 12, 12),
    ("landscape_features", "处", 81, 76),
    ("facade_m2", "m²", 40000, 40000),
    ("shop_sign_m", "m", 1684, 1520),
]

SURNAMES = list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志文斌海波宁晨")
SERVICE_TYPES = ["theory", "education", "culture", "science", "fitness", "elderly_care",
                 "environment", "civilized_traffic"]
SERVICE_ZH = {"theory": "理论宣讲", "education": "教育服务", "culture": "文化服务",
              "science": "科普服务", "fitness": "健身体育", "elderly_care": "助老服务",
              "environment": "环境保护", "civilized_traffic": "文明交通"}
ACTIVITY_TITLES = ["为老人义务理发", "走访慰问老人", "春节写春联", "元宵节猜灯谜", "端午节包粽子",
                   "重阳节敬老", "理论宣讲进社区", "垃圾分类宣传", "文明交通劝导", "科普讲座",
                   "健身操教学", "环境清扫", "义诊", "家风家训分享会"]
PARTNERS = [
    ("沈阳公益铸造社工服务中心", "Shenyang Gongyi Zhuzao Social Work Centre", "social_org"),
    ("东北国际中医医院", "Northeast International TCM Hospital", "enterprise"),
    ("万家颐康养老服务公司", "Wanjia Yikang Elderly Care Services", "enterprise"),
    ("爱尔眼科医院", "Aier Eye Hospital", "enterprise"),
]


class Rng:
    """A seeded random source with the helpers the generator needs."""

    def __init__(self, seed: int) -> None:
        self.g = np.random.default_rng(seed)

    def partition(self, total: float, n: int, spread: float = 0.5, integer: bool = True) -> list:
        """Split total into n positive parts that add up to total exactly."""
        weights = self.g.gamma(1.0 / max(spread, 1e-6) ** 2, size=n) + 1e-9
        raw = weights / weights.sum() * total
        if not integer:
            parts = [round(float(v), 2) for v in raw]
            parts[-1] = round(total - sum(parts[:-1]), 2)
            return parts
        floor = np.maximum(np.floor(raw).astype(int), 1)
        rest = int(total) - int(floor.sum())
        order = np.argsort(-(raw - np.floor(raw)))
        i = 0
        while rest != 0:
            k = order[i % n]
            if rest > 0:
                floor[k] += 1
                rest -= 1
            elif floor[k] > 1:
                floor[k] -= 1
                rest += 1
            i += 1
        return [int(v) for v in floor]

    def name(self) -> str:
        """Return an invented Chinese personal name."""
        s = SURNAMES[self.g.integers(len(SURNAMES))]
        n = 1 + int(self.g.integers(2))
        return s + "".join(GIVEN[self.g.integers(len(GIVEN))] for _ in range(n))

    def choice(self, seq: list, p: list | None = None):
        """Return one element of seq."""
        return seq[int(self.g.choice(len(seq), p=p))]


def load_outline():
    """Return the district outline (shapely), fetching it from cnmaps once if needed."""
    path = HERE / "district.geojson"
    if not path.exists():
        from cnmaps import get_adm_maps  # generator-only dependency

        outline = get_adm_maps(city="沈阳市", district="和平区", level="区县",
                               only_polygon=True, record="first", wgs84=True)
        geom = unary_union(list(outline.geoms))
        feature = {"type": "Feature", "properties": {"name_zh": "和平区", "name_en": "Heping District",
                   "source": "cnmaps get_adm_maps, GCJ-02 converted to WGS-84"},
                   "geometry": mapping(geom)}
        path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]},
                                   ensure_ascii=False), encoding="utf-8")
    data = json.loads(path.read_text(encoding="utf-8"))
    geom = shape(data["features"][0]["geometry"])
    lat, lon = STATION_WGS84
    assert geom.contains(Point(lon, lat)), "datum check: Shenyang Railway Station must be inside"
    return geom


def subdistrict_polygons(outline) -> list:
    """Return one approximate polygon per subdistrict: Voronoi cells clipped to the outline."""
    seeds = [Point(lon, lat) for _, _, _, lat, lon in SUBDISTRICTS]
    for p in seeds:
        assert outline.contains(p), p
    cells = voronoi_diagram(MultiPoint(seeds), envelope=outline.envelope.buffer(0.05))
    polys = []
    for p in seeds:
        cell = next(c for c in cells.geoms if c.contains(p))
        clipped = cell.intersection(outline)
        if clipped.geom_type == "MultiPolygon":  # keep the part that holds the seed
            clipped = next(g for g in clipped.geoms if g.contains(p))
        polys.append(clipped.simplify(0.00005, preserve_topology=True))
    return polys


def random_point_in(rng: Rng, poly, near=None, spread_m: float = 0.0):
    """Return (lat, lon) inside poly, uniformly or near a given (lat, lon)."""
    minx, miny, maxx, maxy = poly.bounds
    for _ in range(10000):
        if near is None:
            x = rng.g.uniform(minx, maxx)
            y = rng.g.uniform(miny, maxy)
        else:
            r = spread_m * math.sqrt(rng.g.uniform())
            a = rng.g.uniform(0, 2 * math.pi)
            y = near[0] + r * math.sin(a) / 111_000
            x = near[1] + r * math.cos(a) / (111_000 * math.cos(math.radians(near[0])))
        if poly.contains(Point(x, y)):
            return round(y, 6), round(x, 6)
    raise RuntimeError("no point found")


def write_csv(name: str, rows: list[dict]) -> None:
    """Write rows (dicts with the same keys) as UTF-8 CSV."""
    with open(HERE / name, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)


def iso(value: date | datetime | None) -> str:
    """Return an ISO string, or '' for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value.isoformat()


def main() -> None:
    """Write every sample file."""
    rng = Rng(SEED)
    outline = load_outline()
    polys = subdistrict_polygons(outline)
    # Urban core subdistricts get more of everything; the southern ones less.
    sub_weight = np.array([1.2, 1.2, 1.4, 1.1, 1.1, 1.1, 1.0, 1.0, 1.0, 0.6, 0.7, 0.5])
    sub_p = sub_weight / sub_weight.sum()
    # How well each subdistrict closes problems on time (drives the rankings).
    sub_quality = [0.92, 0.88, 0.95, 0.80, 0.86, 0.90, 0.78, 0.84, 0.93, 0.74, 0.82, 0.87]

    features = []
    for (code, zh, en, _, _), poly in zip(SUBDISTRICTS, polys, strict=True):
        c = poly.representative_point()
        features.append({"type": "Feature", "properties": {"code": code, "name_zh": zh,
                         "name_en": en, "center_lat": round(c.y, 6), "center_lon": round(c.x, 6)},
                         "geometry": mapping(poly)})
    (HERE / "subdistricts.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8")

    # Communities: 110 in all, 6 to 12 per subdistrict.
    per_sub = rng.partition(110 - 12 * 6, 12, spread=0.6)
    communities = []
    street_i = 0
    for s, (code, *_rest) in enumerate(SUBDISTRICTS):
        for k in range(6 + per_sub[s]):
            street = STREETS[street_i % len(STREETS)]
            street_i += 1
            lat, lon = random_point_in(rng, polys[s])
            if code == "nanhu" and k == 0:
                c_zh, c_en = "文安路社区", "Wen'an Road Community"
            else:
                c_zh, c_en = f"{street[0]}{k + 1}社区", f"{street[1]} No.{k + 1} Community"
            communities.append({"code": f"C{len(communities) + 1:03d}", "name_zh": c_zh,
                                "name_en": c_en, "subdistrict": code, "lat": lat, "lon": lon})
    write_csv("communities.csv", communities)
    comm_by_sub = {code: [c for c in communities if c["subdistrict"] == code]
                   for code, *_ in SUBDISTRICTS}

    write_csv("site_categories.csv", [
        {"code": c, "name_zh": zh, "name_en": en, "radius_m": 300, "surroundings_focus": int(f)}
        for c, zh, en, _, f in CATEGORIES])

    # Sites: 381 in 25 categories, each near a community of its subdistrict.
    sites = []
    for cat, czh, cen, count, _ in CATEGORIES:
        for i in range(count):
            s = int(rng.g.choice(12, p=sub_p))
            if cat == "railway_station":
                s = 2 if i == 0 else 0
            code = SUBDISTRICTS[s][0]
            comm = rng.choice(comm_by_sub[code])
            if cat == "railway_station" and i == 0:
                lat, lon = STATION_WGS84
                s_zh, s_en = "沈阳站", "Shenyang Railway Station"
            else:
                lat, lon = random_point_in(rng, polys[s], near=(comm["lat"], comm["lon"]),
                                           spread_m=700)
                street = rng.choice(STREETS)
                s_zh, s_en = f"{street[0]}{czh}{i + 1}", f"{cen} {i + 1}, {street[1]}"
            units = rng.g.choice(["街道办事处", "城管执法中队", "市场监管所", "派出所", "社区居委会",
                                  "环卫所", "交警中队", "物业公司"], size=3, replace=False)
            sites.append({"code": f"S{len(sites) + 1:03d}", "name_zh": s_zh, "name_en": s_en,
                          "category": cat, "subdistrict": code, "community": comm["code"],
                          "lat": lat, "lon": lon, "leader": rng.name(),
                          "unit_1": f"{SUBDISTRICTS[s][1]}{units[0]}",
                          "unit_2": f"{SUBDISTRICTS[s][1]}{units[1]}",
                          "unit_3": f"{SUBDISTRICTS[s][1]}{units[2]}",
                          "grid_staff": int(rng.g.integers(2, 7))})
    assert len(sites) == 381
    write_csv("sites.csv", sites)

    write_csv("problem_classes.csv", [
        {"code": c, "name_zh": zh, "name_en": en, "time_limit_days": d, "risk_weight": w}
        for c, zh, en, d, w in PROBLEM_CLASSES])
    write_csv("escalation_rungs.csv", [
        {"days_overdue": 1, "code": "subdistrict_head", "name_zh": "街道主要领导督办",
         "name_en": "Subdistrict head"},
        {"days_overdue": 3, "code": "district", "name_zh": "区创城指挥部督办",
         "name_en": "District headquarters"},
        {"days_overdue": 7, "code": "accountability", "name_zh": "问责名单",
         "name_en": "Accountability list"}])

    # Markets: the 20 farmers'-market sites, with the article's hardware figures.
    market_sites = [s for s in sites if s["category"] == "farmers_market"]
    markets = []
    for i, s in enumerate(market_sites):
        markets.append({"code": f"M{i + 1:02d}", "name_zh": s["name_zh"], "name_en": s["name_en"],
                        "site": s["code"], "subdistrict": s["subdistrict"], "lat": s["lat"],
                        "lon": s["lon"], "director": rng.name() + "(区级领导)",
                        "stalls": int(rng.g.integers(60, 320))})
    write_csv("markets.csv", markets)
    write_csv("checklist_items.csv", [
        {"code": c, "name_zh": zh, "name_en": en, "max_points": m, "threshold": t,
         "sort_order": k + 1} for k, (c, zh, en, m, t) in enumerate(CHECKLIST)])
    hardware = []
    for item, total in HARDWARE.items():
        parts = rng.partition(total, len(markets), spread=0.6)
        if item == "trash_bin_set":  # 28 sets over 20 markets: some markets get none
            parts = rng.partition(total + 8, len(markets), spread=0.6)
            parts = [p - 1 for p in parts]
            while sum(parts) != total:
                k = int(np.argmax(parts))
                parts[k] -= np.sign(sum(parts) - total)
        for m, n in zip(markets, parts, strict=True):
            if n > 0:
                hardware.append({"market": m["code"], "item": item, "planned": n, "done": n})
    write_csv("market_hardware.csv", hardware)

    staff = []
    for i in range(43):
        staff.append({"kind": "market_inspector", "code": f"INS{i + 1:02d}", "name": rng.name(),
                      "subdistrict": "", "site": ""})
    for i in range(12):
        staff.append({"kind": "inspection_vehicle", "code": f"VEH{i + 1:02d}",
                      "name": f"辽A·{int(rng.g.integers(10000, 99999))}", "subdistrict": "",
                      "site": ""})
    for i in range(906):  # "more than 900 people arranged by grid"
        s = rng.choice(sites)
        staff.append({"kind": "grid_staff", "code": f"GRD{i + 1:03d}", "name": rng.name(),
                      "subdistrict": s["subdistrict"], "site": s["code"]})
    write_csv("staff.csv", staff)
    inspectors = [s["name"] for s in staff if s["kind"] == "market_inspector"]
    vehicles = [s["name"] for s in staff if s["kind"] == "inspection_vehicle"]

    # Daily market inspections for a year; findings become problems in the loop.
    start_day = ARTICLE_DAY - timedelta(days=HISTORY_DAYS - 1)
    inspections, scores, problems, events = [], [], [], []
    market_quality = rng.g.uniform(-6, 3, size=len(markets))

    def add_problem(**kw) -> dict:
        kw["code"] = f"P{len(problems) + 1:06d}"
        problems.append(kw)
        return kw

    def lifecycle(p: dict, limit_days: int, on_time_p: float, reinspect: bool = False) -> None:
        """Append the events of p's life up to NOW and set its state at NOW."""
        t0 = p["discovered_at"]
        steps = [(t0, None, "discovered", "发现问题", "inspector")]
        t_assign = t0 + timedelta(hours=float(rng.g.uniform(0.5, 20)))
        deadline = t_assign + timedelta(days=limit_days)
        steps.append((t_assign, "discovered", "assigned", "交办", "office"))
        t_start = t_assign + timedelta(hours=float(rng.g.uniform(1, 30)))
        steps.append((t_start, "assigned", "rectifying", "开始整改", "subdistrict"))
        on_time = rng.g.uniform() < on_time_p
        span = (deadline - t_start).total_seconds()
        if on_time:
            t_sub = t_start + timedelta(seconds=max(span, 3600) * float(rng.g.uniform(0.2, 0.9)))
        else:
            t_sub = deadline + timedelta(days=float(rng.g.exponential(4)) + 0.2)
        if rng.g.uniform() < 0.12:  # rejected once by the reviewer
            steps.append((t_sub, "rectifying", "submitted", "提交整改", "subdistrict"))
            t_rej = t_sub + timedelta(hours=float(rng.g.uniform(2, 20)))
            steps.append((t_rej, "submitted", "rectifying", "复核未通过：整改不彻底", "office"))
            t_sub = t_rej + timedelta(hours=float(rng.g.uniform(4, 40)))
        steps.append((t_sub, "rectifying", "submitted", "提交整改", "subdistrict"))
        t_close = t_sub + timedelta(hours=float(rng.g.uniform(1, 20)))
        steps.append((t_close, "submitted", "closed", "复查合格" if reinspect else "复核通过，销号",
                      "market" if reinspect else "office"))
        kept = [st for st in steps if st[0] <= NOW]
        for at, frm, to, note, actor in kept:
            events.append({"problem": p["code"], "at": iso(at), "actor": actor,
                           "from_status": frm or "", "to_status": to, "note": note})
        p["status"] = kept[-1][2]
        p["assigned_at"] = t_assign if t_assign <= NOW else None
        p["deadline"] = deadline if t_assign <= NOW else None
        closed = p["status"] == "closed"
        p["closed_at"] = t_close if closed else None

    for d in range(HISTORY_DAYS):
        day = start_day + timedelta(days=d)
        progress = d / HISTORY_DAYS  # the campaign improves scores over the year
        for m_i, m in enumerate(markets):
            base = 80 + 8 * progress + market_quality[m_i]
            t = datetime.combine(day, time(8, 0)) + timedelta(minutes=int(rng.g.integers(0, 540)))
            if t > NOW:
                continue
            item_scores = []
            for code, _, _, mx, _ in CHECKLIST:
                frac = min(1.0, max(0.3, rng.g.normal(base / 100, 0.07)))
                item_scores.append((code, round(mx * frac * 2) / 2))
            total = sum(v for _, v in item_scores)
            ins_code = f"I{len(inspections) + 1:06d}"
            findings = [(c, v) for c, v in item_scores
                        if v < next(x[4] for x in CHECKLIST if x[0] == c)]
            inspections.append({"code": ins_code, "market": m["code"], "inspected_on": iso(day),
                                "inspector": rng.choice(inspectors), "vehicle": rng.choice(vehicles),
                                "total_score": total, "is_reinspection": 0,
                                "findings": len(findings),
                                "fed_back_same_day": int(rng.g.uniform() < 0.93),
                                "notes": "；".join(f"{c}扣分" for c, _ in findings)})
            for code, v in item_scores:
                scores.append({"inspection": ins_code, "item": code, "score": v})
            for code, _ in findings[:1]:  # one problem per inspection with findings
                site = next(s for s in sites if s["code"] == m["site"])
                p = add_problem(site=site["code"], subdistrict=m["subdistrict"],
                                problem_class="sanitation" if code in ("environment_hygiene",
                                "waste_sorting") else "service_management",
                                lat=site["lat"], lon=site["lon"],
                                description=f"农贸市场检查：{next(x[1] for x in CHECKLIST if x[0] == code)}不达标",
                                source="market_inspection", discovered_at=t, market=m["code"],
                                inspection=ins_code, responsible_unit=f"{m['name_zh']}市场方")
                lifecycle(p, 3, 0.9, reinspect=True)

    # Everyday problems from inspections, spot checks, third parties and the public.
    sub_codes = [s[0] for s in SUBDISTRICTS]
    sites_by_sub = {c: [s for s in sites if s["subdistrict"] == c] for c in sub_codes}
    class_p = np.array([0.14, 0.30, 0.12, 0.22, 0.10, 0.12])
    for d in range(HISTORY_DAYS):
        day = start_day + timedelta(days=d)
        n = int(rng.g.poisson(17 + 6 * math.sin(d / 58)))
        for _ in range(n):
            s_i = int(rng.g.choice(12, p=sub_p))
            code = sub_codes[s_i]
            site = rng.choice(sites_by_sub[code]) if sites_by_sub[code] else None
            near = (site["lat"], site["lon"]) if site else None
            lat, lon = random_point_in(rng, polys[s_i], near=near, spread_m=420)
            k = int(rng.g.choice(6, p=class_p))
            cls = PROBLEM_CLASSES[k]
            t = datetime.combine(day, time(7, 30)) + timedelta(minutes=int(rng.g.integers(0, 660)))
            if t > NOW:
                continue
            src = rng.choice([s for s, _ in SOURCES], p=[w for _, w in SOURCES])
            p = add_problem(site=site["code"] if site and rng.g.uniform() < 0.8 else "",
                            subdistrict=code, problem_class=cls[0], lat=lat, lon=lon,
                            description=rng.choice(PROBLEM_DESCRIPTIONS[cls[0]]), source=src,
                            discovered_at=t, market="", inspection="",
                            responsible_unit=f"{SUBDISTRICTS[s_i][1]}街道")
            lifecycle(p, cls[3], sub_quality[s_i] - 0.1 * (1 - d / HISTORY_DAYS))

    for p in problems:
        for key in ("discovered_at", "assigned_at", "deadline", "closed_at"):
            p[key] = iso(p.get(key))
    problem_cols = ["code", "site", "subdistrict", "problem_class", "lat", "lon", "description",
                    "source", "status", "discovered_at", "assigned_at", "deadline",
                    "responsible_unit", "closed_at", "market", "inspection"]
    write_csv("problems.csv", [{c: p.get(c, "") for c in problem_cols} for p in problems])
    write_csv("problem_events.csv", events)
    write_csv("market_inspections.csv", inspections)
    write_csv("market_inspection_scores.csv", scores)

    # Renovation: old compounds (two batches), back streets, boutique streets, key roads.
    projects, progress = [], []

    def plan_reports(code: str, start: date, end: date, actual_start: date | None,
                     final_pct: float, stage_now: str) -> None:
        """Write weekly progress reports from actual_start to the article day."""
        if actual_start is None or actual_start > ARTICLE_DAY:
            return
        days = (ARTICLE_DAY - actual_start).days
        weeks = max(1, days // 7)
        for w in range(1, weeks + 1):
            on = actual_start + timedelta(days=7 * w)
            if on > ARTICLE_DAY:
                on = ARTICLE_DAY
            frac = w / weeks
            pct = round(min(100.0, final_pct * (3 * frac**2 - 2 * frac**3)), 1)
            stage = stage_now if w == weeks else ("under_construction" if pct < 100 else "completed")
            progress.append({"project": code, "reported_on": iso(on), "percent": pct,
                             "stage": stage, "note": "", "is_correction": 0,
                             "reported_by": "office"})

    def add_project(**kw) -> dict:
        # Construction drawings come before bidding: done 20-34 days before the start (no
        # random draw here, so every other figure of the sample stays as it was).
        if kw["stage"] != "planned":
            starts = [date.fromisoformat(d) for d in (kw["planned_start"], kw["actual_start"]) if d]
            kw["drawings_done_on"] = iso(min(starts) - timedelta(days=20 + len(projects) % 15))
        else:
            kw["drawings_done_on"] = ""
        projects.append(kw)
        return kw

    batch_specs = [
        # batch, compounds, subdistricts, communities, floor area, buildings, households
        (1, 50, ["taiyuanjie", "nanshichang", "xinhua", "bajing", "jixian"], 16, 1_050_000, 183,
         15666),
        (2, 55, ["beishichang", "xita", "maluwan", "nanhu", "changbai", "hunhewan"], 22, 850_000,
         175, 13235),
    ]
    investment = {1: 530_000_000 * 1_050_000 / 1_900_000, 2: 530_000_000 * 850_000 / 1_900_000}
    for batch, n, subs, n_comm, area, buildings, households in batch_specs:
        comm_split = rng.partition(n_comm - len(subs), len(subs), spread=0.4)
        chosen = []
        for code, extra in zip(subs, comm_split, strict=True):
            pool = comm_by_sub[code]
            take = [pool[int(i)] for i in rng.g.choice(len(pool), size=1 + extra, replace=False)]
            chosen += take
        assert len(chosen) == n_comm
        # Every chosen community gets at least one compound.
        comm_of = chosen + [rng.choice(chosen) for _ in range(n - n_comm)]
        areas = rng.partition(area, n, spread=0.4)
        blds = rng.partition(buildings, n, spread=0.5)
        hh = rng.partition(households, n, spread=0.4)
        inv = rng.partition(round(investment[batch]), n, spread=0.4)
        sections = 6 if batch == 2 else 5
        order = np.argsort(-np.asarray(areas))
        for k in range(n):
            comm = comm_of[k]
            sub_i = sub_codes.index(comm["subdistrict"])
            lat, lon = random_point_in(rng, polys[sub_i], near=(comm["lat"], comm["lon"]),
                                       spread_m=300)
            section = f"{k % sections + 1}标段"
            if batch == 1:
                p_start, p_end = date(2022, 4, 1), date(2022, 8, 31)
                done = int(np.where(order == k)[0][0]) >= 15  # 35 smallest finished first
                a_start = p_start + timedelta(days=int(rng.g.integers(0, 20)))
                stage = "completed" if done else "under_construction"
                pct = 100.0 if done else float(rng.g.uniform(62, 94))
                a_end = ARTICLE_DAY - timedelta(days=int(rng.g.integers(1, 40))) if done else None
            else:
                p_start, p_end = date(2022, 7, 10), date(2022, 9, 30)
                live = k % sections in (0, 1)  # the first two bid sections are building
                a_start = p_start + timedelta(days=int(rng.g.integers(0, 12))) if live else None
                stage = "under_construction" if live else "bidding"
                pct = float(rng.g.uniform(8, 30)) if live else 0.0
                a_end = None
            street = rng.choice(STREETS)
            add_project(code=f"OC{batch}-{k + 1:02d}", programme="old_compound", batch=batch,
                        bid_section=section, area="", subdistrict=comm["subdistrict"],
                        community=comm["code"], name_zh=f"{street[0]}{k + 1}号小区",
                        name_en=f"{street[1]} Compound {k + 1}", floor_area_m2=areas[k],
                        buildings=blds[k], households=hh[k], length_m=0,
                        investment_planned_yuan=inv[k],
                        investment_spent_yuan=round(inv[k] * pct / 100 * float(rng.g.uniform(0.9, 1.0))),
                        stage=stage, contractor=f"沈阳市第{k % 7 + 1}建筑工程有限公司",
                        planned_start=iso(p_start), planned_end=iso(p_end),
                        actual_start=iso(a_start), actual_end=iso(a_end), lat=lat, lon=lon)
            plan_reports(f"OC{batch}-{k + 1:02d}", p_start, p_end, a_start, round(pct, 1), stage)

    areas4 = [("beijing_street", "北京街片区", ["beishichang", "xita"]),
              ("station_north", "站北片区", ["taiyuanjie", "nanshichang"]),
              ("xinhua", "新华片区", ["xinhua", "maluwan"]),
              ("taiyuan", "太原片区", ["taiyuanjie", "jixian"])]
    street_specs = [
        ("back_street", 1, 32, 50_000_000, ["南七马路", "西安街"], date(2022, 4, 15),
         date(2022, 7, 31), "completed"),
        ("back_street", 2, 11, 8_000_000, ["长沙街", "北九马路15巷"], date(2022, 7, 1),
         date(2022, 9, 30), "under_construction"),
        ("boutique_street", 1, 10, 27_600_000, [], date(2022, 4, 1), date(2022, 9, 15), "mixed"),
        ("key_road", 1, 10, 40_000_000, ["香港路", "新华路"], date(2022, 3, 20), date(2022, 7, 20),
         "completed"),
    ]
    for programme, batch, n, inv_total, named, p_start, p_end, state in street_specs:
        inv = rng.partition(inv_total, n, spread=0.4)
        lengths = rng.partition(6000 if programme == "key_road" else n * 420, n, spread=0.4)
        prefix = {"back_street": "BS", "boutique_street": "BQ", "key_road": "KR"}[programme]
        for k in range(n):
            if programme == "back_street":
                area_code, _, subs = areas4[(k + batch) % 4]
            else:
                area_code, subs = "", sub_codes[:9]
            sub = rng.choice(subs)
            if k < len(named):
                zh = named[k]
                en = dict(STREETS).get(zh, "Lane 15, Beijiu Road")
            else:
                st = rng.choice(STREETS)
                zh, en = f"{st[0]}{k + 1}巷", f"Lane {k + 1}, {st[1]}"
            if programme == "key_road":
                st = STREETS[(k * 5 + 7) % len(STREETS)] if k >= len(named) else (zh, en)
                zh, en = st
            if state == "completed":
                stage, pct = "completed", 100.0
                a_start = p_start + timedelta(days=int(rng.g.integers(0, 10)))
                a_end = p_end - timedelta(days=int(rng.g.integers(0, 15)))
            elif state == "mixed":
                done = k < 7
                stage = "completed" if done else "under_construction"
                pct = 100.0 if done else float(rng.g.uniform(55, 85))
                a_start = p_start + timedelta(days=int(rng.g.integers(0, 10)))
                a_end = ARTICLE_DAY - timedelta(days=int(rng.g.integers(1, 20))) if done else None
            else:
                stage, pct = "under_construction", float(rng.g.uniform(25, 60))
                a_start = p_start + timedelta(days=int(rng.g.integers(0, 10)))
                a_end = None
            sub_i = sub_codes.index(sub)
            lat, lon = random_point_in(rng, polys[sub_i])
            code = f"{prefix}{batch}-{k + 1:02d}"
            add_project(code=code, programme=programme, batch=batch, bid_section="",
                        area=area_code, subdistrict=sub, community="", name_zh=zh, name_en=en,
                        floor_area_m2=0, buildings=0, households=0, length_m=lengths[k],
                        investment_planned_yuan=inv[k],
                        investment_spent_yuan=round(inv[k] * pct / 100 * float(rng.g.uniform(0.9, 1.0))),
                        stage=stage, contractor=f"沈阳市政工程第{k % 5 + 1}分公司",
                        planned_start=iso(p_start), planned_end=iso(p_end),
                        actual_start=iso(a_start), actual_end=iso(a_end), lat=lat, lon=lon)
            plan_reports(code, p_start, p_end, a_start, round(pct, 1), stage)
    write_csv("projects.csv", projects)
    write_csv("project_progress.csv", progress)
    write_csv("programme_quantities.csv", [
        {"programme": "key_road", "item": i, "unit": u, "planned": p, "done": d}
        for i, u, p, d in KEY_ROAD_QUANTITIES])

    # Civilization practice: 1 district centre, 12 subdistrict institutes, community stations.
    stations = [{"code": "ST00", "name_zh": "和平区新时代文明实践中心",
                 "name_en": "Heping District Civilization Practice Centre", "level": "district",
                 "subdistrict": "taiyuanjie", "community": "", "platforms": "theory,education,culture,science,fitness",
                 "lat": polys[2].representative_point().y, "lon": polys[2].representative_point().x}]
    for s, (code, zh, en, _, _) in enumerate(SUBDISTRICTS):
        lat, lon = random_point_in(rng, polys[s])
        stations.append({"code": f"ST{s + 1:02d}", "name_zh": f"{zh}街道新时代文明实践所",
                         "name_en": f"{en} Civilization Practice Institute", "level": "subdistrict",
                         "subdistrict": code, "community": "",
                         "platforms": "theory,education,culture,science,fitness",
                         "lat": lat, "lon": lon})
    for c in communities:
        if c["name_zh"] == "文安路社区" or rng.g.uniform() < 0.55:
            plats = ",".join(sorted(set(rng.choice(["theory", "education", "culture", "science",
                                                     "fitness"]) for _ in range(3))))
            stations.append({"code": f"ST{len(stations):03d}", "name_zh": f"{c['name_zh']}新时代文明实践站",
                             "name_en": f"{c['name_en']} Civilization Practice Station",
                             "level": "community", "subdistrict": c["subdistrict"],
                             "community": c["code"], "platforms": plats, "lat": c["lat"],
                             "lon": c["lon"]})
    for st in stations:
        st["lat"], st["lon"] = round(float(st["lat"]), 6), round(float(st["lon"]), 6)
    write_csv("practice_stations.csv", stations)

    teams = []
    community_stations = [st for st in stations if st["level"] == "community"]
    for i in range(58):
        st = rng.choice(community_stations)
        service = rng.choice(SERVICE_TYPES)
        comm = next(c for c in communities if c["code"] == st["community"])
        teams.append({"code": f"T{i + 1:02d}", "name_zh": f"{comm['name_zh']}{SERVICE_ZH[service]}志愿服务队",
                      "name_en": f"{comm['name_en']} {service.replace('_', ' ')} volunteers",
                      "service_type": service, "station": st["code"], "community": comm["code"],
                      "subdistrict": comm["subdistrict"], "members": int(rng.g.integers(12, 90)),
                      "lat": st["lat"], "lon": st["lon"]})
    write_csv("volunteer_teams.csv", teams)
    partners = []
    kinds = ["enterprise", "merchant", "social_org"]
    for i in range(51):
        if i < len(PARTNERS):
            zh, en, kind = PARTNERS[i]
        else:
            st = rng.choice(STREETS)
            kind = rng.choice(kinds)
            suffix = {"enterprise": ("有限公司", "Co., Ltd."), "merchant": ("商户联盟", "Merchants"),
                      "social_org": ("志愿者协会", "Volunteer Association")}[kind]
            zh, en = f"{st[0]}{suffix[0]}{i + 1}", f"{st[1]} {suffix[1]} {i + 1}"
        partners.append({"code": f"PO{i + 1:02d}", "name_zh": zh, "name_en": en, "kind": kind,
                         "subdistrict": rng.choice(sub_codes)})
    write_csv("partner_orgs.csv", partners)

    activities = []
    active_teams = teams  # every team is active; some communities still see no activity
    for d in range(HISTORY_DAYS):
        day = start_day + timedelta(days=d)
        for _ in range(int(rng.g.poisson(3.2))):
            team = rng.choice(active_teams)
            comm_pool = comm_by_sub[team["subdistrict"]]
            comm = (next(c for c in communities if c["code"] == team["community"])
                    if rng.g.uniform() < 0.6 else rng.choice(comm_pool[: max(2, len(comm_pool) // 2)]))
            lat, lon = random_point_in(rng, polys[sub_codes.index(comm["subdistrict"])],
                                       near=(comm["lat"], comm["lon"]), spread_m=250)
            participants = int(rng.g.integers(5, 40))
            activities.append({
                "team": team["code"],
                "partner_org": rng.choice(partners)["code"] if rng.g.uniform() < 0.35 else "",
                "held_on": iso(day), "title": rng.choice(ACTIVITY_TITLES),
                "place": comm["name_zh"], "community": comm["code"],
                "subdistrict": comm["subdistrict"], "lat": lat, "lon": lon,
                "service_type": team["service_type"], "participants": participants,
                "volunteer_hours": round(participants * float(rng.g.uniform(1.5, 3.5)), 1)})
    write_csv("volunteer_activities.csv", activities)

    # 60 creation-headquarters meetings held up to the article's date.
    first = date(2022, 1, 10)
    gap = (ARTICLE_DAY - first).days / 60
    write_csv("meetings.csv", [
        {"kind": "headquarters", "held_on": iso(first + timedelta(days=int(i * gap))),
         "title": f"和平区创城指挥部第{i + 1}次会议"} for i in range(60)])
    write_csv("metric_targets.csv", [
        {"metric": "on_time_rate", "target": 0.9, "weight": 0.3, "higher_is_better": 1},
        {"metric": "clean_site_share", "target": 0.85, "weight": 0.2, "higher_is_better": 1},
        {"metric": "renovation_vs_plan", "target": 1.0, "weight": 0.15, "higher_is_better": 1},
        {"metric": "market_score", "target": 90.0, "weight": 0.15, "higher_is_better": 1},
        {"metric": "volunteer_coverage", "target": 0.8, "weight": 0.2, "higher_is_better": 1}])
    write_csv("campaign_figures.csv", [
        {"key": "co_governance_compounds", "value": 770, "unit": "个"},
        {"key": "compound_investment_planned_yuan", "value": 530_000_000, "unit": "元"},
        {"key": "boutique_investment_cap_yuan", "value": 28_000_000, "unit": "元"}])
    print(f"sites={len(sites)} problems={len(problems)} events={len(events)} "
          f"inspections={len(inspections)} projects={len(projects)} reports={len(progress)} "
          f"stations={len(stations)} teams={len(teams)} partners={len(partners)} "
          f"activities={len(activities)}")
    from generate_evaluation import main as evaluation_main  # issue 19: its own seed

    evaluation_main()


if __name__ == "__main__":
    main()
