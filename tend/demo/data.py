"""Word lists the demo generator draws from. Plain data: regions with their administrative
division codes (they go into credit codes) and landline area codes, industries, activity
summaries. Weights say how often each entry is drawn."""

# (province, weight, [(city, division code, landline area code or "")])
REGIONS = [
    (
        "广东省",
        14,
        [
            ("广州市", "440100", "020"),
            ("深圳市", "440300", "0755"),
            ("佛山市", "440600", "0757"),
            ("东莞市", "441900", "0769"),
            ("珠海市", "440400", ""),
        ],
    ),
    (
        "浙江省",
        10,
        [
            ("杭州市", "330100", "0571"),
            ("宁波市", "330200", ""),
            ("温州市", "330300", ""),
            ("嘉兴市", "330400", ""),
        ],
    ),
    (
        "江苏省",
        10,
        [
            ("南京市", "320100", "025"),
            ("苏州市", "320500", "0512"),
            ("无锡市", "320200", ""),
            ("常州市", "320400", ""),
        ],
    ),
    ("上海市", 9, [("上海市", "310100", "021")]),
    ("北京市", 9, [("北京市", "110100", "010")]),
    (
        "山东省",
        7,
        [("济南市", "370100", ""), ("青岛市", "370200", "0532"), ("烟台市", "370600", "")],
    ),
    ("四川省", 5, [("成都市", "510100", "028"), ("绵阳市", "510700", "")]),
    ("湖北省", 4, [("武汉市", "420100", "027"), ("宜昌市", "420500", "")]),
    (
        "福建省",
        4,
        [("福州市", "350100", ""), ("厦门市", "350200", ""), ("泉州市", "350500", "")],
    ),
    ("河南省", 4, [("郑州市", "410100", "0371"), ("洛阳市", "410300", "")]),
    ("湖南省", 3, [("长沙市", "430100", "0731")]),
    ("天津市", 3, [("天津市", "120100", "022")]),
    ("重庆市", 3, [("重庆市", "500100", "023")]),
    ("安徽省", 3, [("合肥市", "340100", "0551"), ("芜湖市", "340200", "")]),
    ("陕西省", 3, [("西安市", "610100", "029")]),
    ("河北省", 2, [("石家庄市", "130100", ""), ("唐山市", "130200", "")]),
    ("辽宁省", 2, [("沈阳市", "210100", "024"), ("大连市", "210200", "")]),
    ("江西省", 1, [("南昌市", "360100", "")]),
    ("云南省", 1, [("昆明市", "530100", "")]),
    ("广西壮族自治区", 1, [("南宁市", "450100", "")]),
    ("黑龙江省", 1, [("哈尔滨市", "230100", "")]),
    ("吉林省", 1, [("长春市", "220100", "")]),
    ("山西省", 1, [("太原市", "140100", "")]),
    ("贵州省", 1, [("贵阳市", "520100", "")]),
]

# Chinese mobile prefixes (all valid for phonenumbers' CN metadata).
MOBILE_PREFIXES = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139",
    "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "166", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189", "198", "199",
]  # fmt: skip

# (Chinese, English, words used in company names)
INDUSTRIES = [
    ("制造业", "Manufacturing", ["精密机械", "机电设备", "汽车零部件", "模具", "五金制品"]),
    ("信息技术", "Information technology", ["软件", "信息技术", "网络科技", "数据服务"]),
    ("批发零售", "Wholesale and retail", ["贸易", "商贸", "供应链", "电子商务"]),
    ("医疗健康", "Healthcare", ["医疗器械", "生物科技", "医药", "健康管理"]),
    ("建筑工程", "Construction", ["建筑工程", "装饰工程", "建材", "钢结构"]),
    ("物流运输", "Logistics", ["物流", "货运代理", "仓储", "国际快递"]),
    ("教育培训", "Education", ["教育科技", "职业培训", "文化教育"]),
    ("能源化工", "Energy and chemicals", ["新能源", "化工", "光伏科技", "环保科技"]),
    ("餐饮酒店", "Hospitality", ["餐饮管理", "酒店管理", "食品"]),
    ("金融服务", "Financial services", ["投资咨询", "融资租赁", "保险代理"]),
    ("文化传媒", "Media", ["文化传媒", "广告", "影视制作"]),
    ("专业服务", "Professional services", ["企业管理咨询", "人力资源", "财务咨询"]),
]
INDUSTRY_WEIGHTS = [16, 14, 12, 8, 8, 7, 6, 6, 5, 5, 5, 8]

COMPANY_SUFFIXES = ["有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司"]
ENGLISH_COMPANY_SUFFIXES = ["", " (China) Co., Ltd.", " Trading Co., Ltd.", " Asia Ltd."]

# Characters that Chinese company brand names are commonly made of.
BRAND_CHARACTERS = "华泰鑫联创恒达盛源博瑞宏远中海天金新正安凯德信嘉汇通明科捷益佳丰和兴宇永美腾飞昌荣辉润卓晟航聚智弘星"

PINYIN_SYLLABLES = [
    "hua",
    "tai",
    "xin",
    "lian",
    "chuang",
    "heng",
    "da",
    "sheng",
    "yuan",
    "bo",
    "rui",
    "hong",
    "zhong",
    "hai",
    "tian",
    "jin",
    "zheng",
    "an",
    "kai",
    "de",
    "jia",
    "hui",
    "tong",
    "ming",
    "ke",
    "jie",
    "yi",
    "feng",
    "he",
    "xing",
    "yu",
    "yong",
    "mei",
    "teng",
    "fei",
    "chang",
    "rong",
    "zhi",
    "run",
    "zhuo",
    "hang",
    "ju",
    "xing",
    "long",
    "shun",
]
EMAIL_DOMAINS = ["qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "outlook.com"]
COMPANY_TLDS = [".com", ".cn", ".com.cn", ".net"]

DISTRICTS = ["高新区", "经济开发区", "工业园区", "中心城区", "滨海新区", "科技园", "新城区"]
ROADS = [
    "人民路", "解放路", "中山路", "建设路", "科技路", "创业大道", "长江路", "黄河路",
    "和平路", "新华路", "文化路", "滨江大道", "东风路", "青年路", "光明路", "学府路",
]  # fmt: skip

CONTACT_TITLES_ZH = [
    "总经理", "副总经理", "采购经理", "采购专员", "财务总监", "技术负责人",
    "行政主管", "销售总监", "运营经理", "IT 经理", "项目经理", "董事长助理",
]  # fmt: skip
CONTACT_TITLES_EN = [
    "General Manager", "Purchasing Manager", "CFO", "CTO", "Operations Manager",
    "Office Manager", "IT Manager", "Project Manager",
]  # fmt: skip

# (source channel, weight)
SOURCES = [
    ("website", 18),
    ("referral", 16),
    ("exhibition", 12),
    ("cold_call", 20),
    ("advertising", 8),
    ("social_media", 10),
    ("partner", 10),
    ("other", 6),
]

# (activity kind, weight, chance the communication counts as valid)
ACTIVITY_KINDS = [
    ("call", 34, 0.55),
    ("wechat", 24, 0.45),
    ("visit", 9, 0.9),
    ("meeting", 7, 0.85),
    ("email", 11, 0.35),
    ("sms", 5, 0.1),
    ("note", 10, 0.0),
]

PRODUCTS_ZH = [
    "标准版",
    "专业版",
    "企业版",
    "年度服务",
    "维保套餐",
    "定制方案",
    "二期项目",
    "新产品线",
]
SUMMARY_TEMPLATES_ZH = [
    "电话沟通{product}报价，客户表示需要内部讨论后回复。",
    "客户咨询{product}的交付周期和付款方式，已发资料。",
    "上门拜访，演示了{product}，对方技术负责人反馈积极。",
    "微信跟进，客户暂无预算，约定下季度再联系。",
    "发送{product}合同草稿，等待法务审核。",
    "客户反馈上次{product}的使用问题，已转售后处理。",
    "与采购经理确认{product}的数量和交货时间。",
    "客户正在比较三家供应商，我们的{product}价格偏高。",
    "邀请客户参加下月的产品发布会，对方答应出席。",
    "电话未接通，已发短信留言。",
    "客户要求{product}再优惠 5%，需要请示经理。",
    "年度回访，客户对服务整体满意，提出两点改进建议。",
    "会议讨论{product}实施计划，确定了项目负责人。",
    "客户负责人换人，重新介绍了我们的{product}。",
    "已收到{product}首付款，安排实施团队对接。",
    "节日问候，顺便了解客户今年的采购计划。",
]
OUTCOMES_ZH = ["有意向", "需要报价", "暂无需求", "已成交", "待决策", "价格异议", "", "", ""]

PRODUCTS_EN = ["Standard", "Professional", "Enterprise", "annual service", "maintenance plan"]
SUMMARY_TEMPLATES_EN = [
    "Called about the {product} quote; they will reply after an internal review.",
    "Visited the site and demonstrated {product}; positive feedback from IT.",
    "Sent the {product} contract draft for legal review.",
    "Follow-up by email: no budget this quarter, check again next quarter.",
    "Discussed the {product} rollout plan and agreed on a project owner.",
    "Customer asked for a 5% discount on {product}; escalated to the manager.",
    "No answer; left a voicemail.",
]
OUTCOMES_EN = ["Interested", "Needs a quote", "No need yet", "Won", "Deciding", "", ""]

TASK_TITLES_ZH = ["电话回访", "发送报价单", "安排上门拜访", "确认合同条款", "催收款项", "寄送样品"]
TASK_TITLES_EN = ["Follow-up call", "Send the quote", "Arrange a visit", "Confirm the contract"]

TAGS = ["重点客户", "VIP", "老客户", "潜在合作", "展会线索", "渠道商", "待激活", "Key account"]
