"""Fixed reference data for the seed: agencies, operators, travel hubs, names and place labels."""

from __future__ import annotations

# (code, name_ko, name_en, weight for employees). Names as of the 2020s government organisation.
CENTRAL_AGENCIES: tuple[tuple[str, str, str, int], ...] = (
    ("MOIS", "행정안전부", "Ministry of the Interior and Safety", 10),
    ("MOEF", "기획재정부", "Ministry of Economy and Finance", 8),
    ("MOE", "교육부", "Ministry of Education", 6),
    ("MSIT", "과학기술정보통신부", "Ministry of Science and ICT", 7),
    ("MOFA", "외교부", "Ministry of Foreign Affairs", 5),
    ("MOU", "통일부", "Ministry of Unification", 2),
    ("MOJ", "법무부", "Ministry of Justice", 6),
    ("MND", "국방부", "Ministry of National Defense", 5),
    ("MPVA", "국가보훈부", "Ministry of Patriots and Veterans Affairs", 2),
    ("MCST", "문화체육관광부", "Ministry of Culture, Sports and Tourism", 5),
    ("MAFRA", "농림축산식품부", "Ministry of Agriculture, Food and Rural Affairs", 5),
    ("MOTIE", "산업통상자원부", "Ministry of Trade, Industry and Energy", 6),
    ("MOHW", "보건복지부", "Ministry of Health and Welfare", 6),
    ("ME", "환경부", "Ministry of Environment", 5),
    ("MOEL", "고용노동부", "Ministry of Employment and Labor", 6),
    ("MOGEF", "여성가족부", "Ministry of Gender Equality and Family", 2),
    ("MOLIT", "국토교통부", "Ministry of Land, Infrastructure and Transport", 7),
    ("MOF", "해양수산부", "Ministry of Oceans and Fisheries", 4),
    ("MSS", "중소벤처기업부", "Ministry of SMEs and Startups", 4),
    ("MPM", "인사혁신처", "Ministry of Personnel Management", 2),
    ("MOLEG", "법제처", "Ministry of Government Legislation", 1),
    ("KOSTAT", "통계청", "Statistics Korea", 3),
)

# The 17 provincial governments, by KOSTAT sido code: (name_ko, name_en).
LOCAL_AGENCIES: dict[str, tuple[str, str]] = {
    "11": ("서울특별시", "Seoul Metropolitan Government"),
    "21": ("부산광역시", "Busan Metropolitan City"),
    "22": ("대구광역시", "Daegu Metropolitan City"),
    "23": ("인천광역시", "Incheon Metropolitan City"),
    "24": ("광주광역시", "Gwangju Metropolitan City"),
    "25": ("대전광역시", "Daejeon Metropolitan City"),
    "26": ("울산광역시", "Ulsan Metropolitan City"),
    "29": ("세종특별자치시", "Sejong Special Self-Governing City"),
    "31": ("경기도", "Gyeonggi Provincial Government"),
    "32": ("강원특별자치도", "Gangwon State"),
    "33": ("충청북도", "Chungcheongbuk-do Provincial Government"),
    "34": ("충청남도", "Chungcheongnam-do Provincial Government"),
    "35": ("전북특별자치도", "Jeonbuk State"),
    "36": ("전라남도", "Jeollanam-do Provincial Government"),
    "37": ("경상북도", "Gyeongsangbuk-do Provincial Government"),
    "38": ("경상남도", "Gyeongsangnam-do Provincial Government"),
    "39": ("제주특별자치도", "Jeju Special Self-Governing Province"),
}

PUBLIC_INSTITUTIONS: tuple[tuple[str, str, str, int], ...] = (
    ("NIA", "한국지능정보사회진흥원", "National Information Society Agency", 3),
    ("KISA", "한국인터넷진흥원", "Korea Internet & Security Agency", 2),
    ("LH", "한국토지주택공사", "Korea Land and Housing Corporation", 4),
    ("KEPCO", "한국전력공사", "Korea Electric Power Corporation", 5),
    ("NHIS", "국민건강보험공단", "National Health Insurance Service", 5),
    ("NPS", "국민연금공단", "National Pension Service", 4),
    ("EX", "한국도로공사", "Korea Expressway Corporation", 3),
    ("KORAIL", "한국철도공사", "Korea Railroad Corporation", 4),
    ("KOGAS", "한국가스공사", "Korea Gas Corporation", 2),
    ("HRDK", "한국산업인력공단", "Human Resources Development Service of Korea", 2),
)

# Public operators: NIA runs the ministry's centers; Seoul City ran its own U-Work center.
PUBLIC_OPERATORS: tuple[tuple[str, str, str], ...] = (
    ("nia", "한국지능정보사회진흥원 (행정안전부)", "NIA for the Ministry of the Interior and Safety"),
    ("seoul-city", "서울특별시", "Seoul Metropolitan Government"),
)

# Private operators (fictional companies): (code, company name_ko, name_en, brand_ko, brand_en, weight).
PRIVATE_OPERATORS: tuple[tuple[str, str, str, str, str, int], ...] = (
    ("hanbit", "(주)한빛스마트오피스", "Hanbit Smart Office Co., Ltd.", "한빛스마트오피스", "Hanbit Smart Office", 9),
    ("coworkkorea", "코워크코리아(주)", "Cowork Korea Inc.", "코워크코리아", "Cowork Korea", 8),
    ("nuriwork", "(주)누리워크", "Nuri Work Co., Ltd.", "누리워크", "Nuri Work", 7),
    ("daon", "(주)다온비즈센터", "Daon Business Center Co., Ltd.", "다온비즈센터", "Daon Business Center", 6),
    ("smartplace", "스마트플레이스(주)", "Smart Place Inc.", "스마트플레이스", "Smart Place", 6),
    ("hive", "(주)하이브오피스", "Hive Office Co., Ltd.", "하이브오피스", "Hive Office", 5),
    ("onnuri", "(주)온누리공유오피스", "Onnuri Shared Office Co., Ltd.", "온누리공유오피스", "Onnuri Shared Office", 4),
    ("saebom", "(주)새봄워크스페이스", "Saebom Workspace Co., Ltd.", "새봄워크스페이스", "Saebom Workspace", 4),
    ("gaon", "가온오피스(주)", "Gaon Office Inc.", "가온오피스", "Gaon Office", 3),
    ("mirae", "(주)미래공간", "Mirae Space Co., Ltd.", "미래공간", "Mirae Space", 3),
    ("hangyeol", "(주)한결비즈니스라운지", "Hangyeol Business Lounge Co., Ltd.", "한결비즈니스라운지",
     "Hangyeol Business Lounge", 2),
    ("ieum", "(주)이음워크", "Ieum Work Co., Ltd.", "이음워크", "Ieum Work", 2),
)

# Travel hubs: (slug, name_ko, name_en, region code, lat, lon, address_ko, private centers near it).
# Coordinates are approximate (a few hundred metres), enough for a map and distance search.
TRAVEL_HUBS: tuple[tuple[str, str, str, str, float, float, str, int], ...] = (
    ("seoul-station", "서울역", "Seoul Station", "11020", 37.5547, 126.9707,
     "서울특별시 중구 한강대로 405", 3),
    ("yongsan-station", "용산역", "Yongsan Station", "11030", 37.5298, 126.9648,
     "서울특별시 용산구 한강대로23길 55", 2),
    ("yeongdeungpo-station", "영등포역", "Yeongdeungpo Station", "11190", 37.5156, 126.9074,
     "서울특별시 영등포구 경인로 846", 2),
    ("cheongnyangni-station", "청량리역", "Cheongnyangni Station", "11060", 37.5804, 127.0467,
     "서울특별시 동대문구 왕산로 214", 1),
    ("gangnam-station", "강남역", "Gangnam Station", "11230", 37.4979, 127.0276,
     "서울특별시 강남구 강남대로 396", 2),
    ("gimpo-airport", "김포공항", "Gimpo Airport", "11160", 37.5587, 126.7945,
     "서울특별시 강서구 하늘길 112", 1),
    ("gwangmyeong-station", "광명역", "Gwangmyeong Station", "31060", 37.4163, 126.8848,
     "경기도 광명시 광명역로 21", 2),
    ("suwon-station", "수원역", "Suwon Station", "31013", 37.2657, 127.0000,
     "경기도 수원시 팔달구 덕영대로 924", 2),
    ("gwacheon-complex", "정부과천청사", "Government Complex Gwacheon", "31110", 37.4283, 126.9893,
     "경기도 과천시 관문로 47", 1),
    ("incheon-airport", "인천국제공항", "Incheon International Airport", "23010", 37.4602, 126.4407,
     "인천광역시 중구 공항로 272", 1),
    ("daejeon-station", "대전역", "Daejeon Station", "25010", 36.3323, 127.4346,
     "대전광역시 동구 중앙로 215", 2),
    ("daejeon-complex", "정부대전청사", "Government Complex Daejeon", "25030", 36.3588, 127.3835,
     "대전광역시 서구 청사로 189", 1),
    ("sejong-complex", "정부세종청사", "Government Complex Sejong", "29010", 36.5040, 127.2650,
     "세종특별자치시 도움6로 11", 3),
    ("osong-station", "오송역", "Osong Station", "33043", 36.6203, 127.3273,
     "충청북도 청주시 흥덕구 오송읍 오송가락로 123", 1),
    ("cheonan-asan-station", "천안아산역", "Cheonan-Asan Station", "34040", 36.7946, 127.1045,
     "충청남도 아산시 배방읍 희망로 100", 1),
    ("dongdaegu-station", "동대구역", "Dongdaegu Station", "22020", 35.8794, 128.6286,
     "대구광역시 동구 동대구로 550", 2),
    ("busan-station", "부산역", "Busan Station", "21030", 35.1151, 129.0422,
     "부산광역시 동구 중앙대로 206", 2),
    ("ulsan-station", "울산역", "Ulsan Station", "26310", 35.5515, 129.1383,
     "울산광역시 울주군 삼남읍 울산역로 177", 1),
    ("gwangju-songjeong-station", "광주송정역", "Gwangju Songjeong Station", "24050", 35.1378, 126.7914,
     "광주광역시 광산구 상무대로 201", 2),
    ("naju-innovation-city", "나주 혁신도시", "Naju Innovation City", "36040", 35.0174, 126.7896,
     "전라남도 나주시 전력로 55", 1),
    ("jeonju-station", "전주역", "Jeonju Station", "35012", 35.8500, 127.1617,
     "전북특별자치도 전주시 덕진구 동부대로 680", 1),
    ("wonju-innovation-city", "원주 혁신도시", "Wonju Innovation City", "32020", 37.3190, 127.9430,
     "강원특별자치도 원주시 건강로 32", 1),
    ("gangneung-station", "강릉역", "Gangneung Station", "32030", 37.7640, 128.8997,
     "강원특별자치도 강릉시 용지로 176", 1),
    ("pohang-station", "포항역", "Pohang Station", "37012", 36.0717, 129.3424,
     "경상북도 포항시 북구 흥해읍 포항역로 1", 1),
    ("changwon-jungang-station", "창원중앙역", "Changwon Jungang Station", "38111", 35.2294, 128.6887,
     "경상남도 창원시 의창구 용동로 5", 1),
    ("jinju-innovation-city", "진주 혁신도시", "Jinju Innovation City", "38030", 35.1580, 128.1085,
     "경상남도 진주시 충의로 19", 1),
    ("jeju-airport", "제주국제공항", "Jeju International Airport", "39010", 33.5067, 126.4930,
     "제주특별자치도 제주시 공항로 2", 1),
)

# Hubs that also get a public (NIA) travel center besides the real ones.
PUBLIC_TRAVEL_HUBS: tuple[str, ...] = (
    "busan-station",
    "dongdaegu-station",
    "daejeon-station",
    "gwangju-songjeong-station",
    "suwon-station",
    "sejong-complex",
)

# Approximate coordinates of the real centers (the building, or the station/complex it was in).
REAL_CENTER_POINTS: dict[str, tuple[float, float]] = {
    "dobong": (37.6688, 127.0471),
    "bundang": (37.3588, 127.1146),
    "seocho": (37.4686, 127.0200),
    "ilsan": (37.6584, 126.7700),
    "bucheon": (37.5035, 126.7660),
    "incheon": (37.4660, 126.6660),
    "suwon": (37.2790, 126.9920),
    "songpa": (37.5146, 127.1060),
    "guro": (37.4954, 126.8875),
    "seoul-gov": (37.5753, 126.9754),
    "sejong-1": (36.5040, 127.2650),
    "national-assembly": (37.5318, 126.9140),
    "seoul-station": (37.5547, 126.9707),
    "gwacheon-gov": (37.4283, 126.9893),
    "daejeon-gov": (36.3588, 127.3835),
    "gangnam-terminal": (37.5049, 127.0049),
    "suseo": (37.4874, 127.1014),
    "osong": (36.6203, 127.3273),
    "seoul-station-2": (37.5540, 126.9735),
    "yongsan": (37.5298, 126.9648),
    "seoul-city": (37.4720, 127.0390),
}

# Short province labels for names and slugs.
SIDO_SHORT: dict[str, tuple[str, str, str]] = {
    "11": ("서울", "Seoul", "seoul"),
    "21": ("부산", "Busan", "busan"),
    "22": ("대구", "Daegu", "daegu"),
    "23": ("인천", "Incheon", "incheon"),
    "24": ("광주", "Gwangju", "gwangju"),
    "25": ("대전", "Daejeon", "daejeon"),
    "26": ("울산", "Ulsan", "ulsan"),
    "29": ("세종", "Sejong", "sejong"),
    "31": ("경기", "Gyeonggi", "gyeonggi"),
    "32": ("강원", "Gangwon", "gangwon"),
    "33": ("충북", "Chungbuk", "chungbuk"),
    "34": ("충남", "Chungnam", "chungnam"),
    "35": ("전북", "Jeonbuk", "jeonbuk"),
    "36": ("전남", "Jeonnam", "jeonnam"),
    "37": ("경북", "Gyeongbuk", "gyeongbuk"),
    "38": ("경남", "Gyeongnam", "gyeongnam"),
    "39": ("제주", "Jeju", "jeju"),
}

STREETS: tuple[str, ...] = (
    "중앙로", "시청로", "번영로", "문화로", "역전로", "대학로", "공원로", "평화로", "희망로", "새마을로",
    "중부대로", "청사로", "상공로", "행복로", "경제로", "신도시로", "호수로", "미래로",
)

# Common surnames with rough weights, and common given names, each with its romanisation.
SURNAMES: tuple[tuple[str, str, int], ...] = (
    ("김", "kim", 215), ("이", "lee", 147), ("박", "park", 84), ("최", "choi", 47), ("정", "jung", 43),
    ("강", "kang", 23), ("조", "cho", 21), ("윤", "yoon", 21), ("장", "jang", 20), ("임", "lim", 17),
    ("한", "han", 15), ("오", "oh", 15), ("서", "seo", 15), ("신", "shin", 15), ("권", "kwon", 14),
    ("황", "hwang", 14), ("안", "ahn", 14), ("송", "song", 13), ("전", "jeon", 12), ("홍", "hong", 11),
    ("유", "yoo", 11), ("고", "ko", 9), ("문", "moon", 9), ("양", "yang", 9), ("손", "son", 9),
    ("배", "bae", 8), ("백", "baek", 8), ("허", "heo", 6), ("남", "nam", 5), ("노", "noh", 5),
)

GIVEN_NAMES: tuple[tuple[str, str], ...] = (
    ("민준", "minjun"), ("서준", "seojun"), ("도윤", "doyun"), ("예준", "yejun"), ("시우", "siwoo"),
    ("하준", "hajun"), ("지호", "jiho"), ("주원", "juwon"), ("지후", "jihu"), ("준우", "junwoo"),
    ("준서", "junseo"), ("건우", "geonwoo"), ("현우", "hyunwoo"), ("우진", "woojin"), ("선우", "sunwoo"),
    ("서진", "seojin"), ("연우", "yeonwoo"), ("민재", "minjae"), ("현준", "hyunjun"), ("정우", "jungwoo"),
    ("승현", "seunghyun"), ("성민", "sungmin"), ("동현", "donghyun"), ("지훈", "jihoon"),
    ("영호", "youngho"), ("상훈", "sanghoon"), ("성호", "sungho"), ("재훈", "jaehoon"),
    ("영수", "youngsu"), ("진호", "jinho"), ("태현", "taehyun"), ("경수", "kyungsu"), ("종민", "jongmin"),
    ("병철", "byungcheol"), ("상우", "sangwoo"), ("준혁", "junhyuk"), ("승민", "seungmin"),
    ("재원", "jaewon"), ("서연", "seoyeon"), ("서윤", "seoyun"), ("지우", "jiwoo"), ("서현", "seohyun"),
    ("민서", "minseo"), ("하은", "haeun"), ("하윤", "hayun"), ("윤서", "yunseo"), ("지민", "jimin"),
    ("지유", "jiyu"), ("채원", "chaewon"), ("수아", "sua"), ("지아", "jia"), ("은서", "eunseo"),
    ("다은", "daeun"), ("예은", "yeeun"), ("수빈", "subin"), ("지현", "jihyun"), ("민지", "minji"),
    ("유진", "yujin"), ("은지", "eunji"), ("혜진", "hyejin"), ("수진", "sujin"), ("지영", "jiyoung"),
    ("미영", "miyoung"), ("은영", "eunyoung"), ("현정", "hyunjung"), ("정희", "junghee"),
    ("미경", "mikyung"), ("선영", "sunyoung"), ("혜원", "hyewon"), ("소영", "soyoung"),
    ("나영", "nayoung"), ("주희", "juhee"), ("보람", "boram"), ("다현", "dahyun"), ("예린", "yerin"),
    ("수연", "suyeon"),
)
