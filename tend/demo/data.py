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

# -- seasons -----------------------------------------------------------------------------------

# The first day of the Spring Festival (春节), when trade pauses for a week.
SPRING_FESTIVALS = [
    "2020-01-25", "2021-02-12", "2022-02-01", "2023-01-22", "2024-02-10", "2025-01-29",
    "2026-02-17", "2027-02-06", "2028-01-26", "2029-02-13", "2030-02-03", "2031-01-23",
    "2032-02-11", "2033-01-31", "2034-02-19", "2035-02-08",
]  # fmt: skip
# How busy each month is for orders (January … December): year-end budgets and 双十一 in Q4,
# 618 in June, February quiet after the festival.
MONTH_WEIGHTS = [1.0, 0.7, 0.95, 1.0, 1.0, 1.1, 0.9, 0.9, 1.05, 1.1, 1.35, 1.5]
WEEKDAY_WEIGHTS = [1.0, 1.0, 1.0, 1.0, 1.0, 0.35, 0.25]  # Monday … Sunday

# -- deals -------------------------------------------------------------------------------------

DEAL_NAMES_ZH = [
    "{product}采购项目", "{product}升级", "{product}年度合作", "{product}试点",
    "{product}扩容", "{product}替换项目",
]  # fmt: skip
DEAL_NAMES_EN = ["{product} purchase", "{product} upgrade", "{product} pilot", "{product} renewal"]
# Open stages of the default pipeline, earliest first: more deals sit in the early ones.
OPEN_STAGE_WEIGHTS = [30, 25, 20, 14, 11]
WON_REASONS_ZH = ["价格有优势", "方案贴合需求", "老客户推荐", "交付周期短", "服务响应快", ""]
WON_REASONS_EN = ["Best price", "Solution fits their needs", "Referral", "Fast delivery", ""]
LOST_REASONS_ZH = [
    "价格高于竞争对手", "选择了其他供应商", "预算取消", "需求变更", "客户不再回应",
    "决策人变动", "产品功能不满足",
]  # fmt: skip
LOST_REASONS_EN = [
    "Price above the competition", "Chose another supplier", "Budget cancelled",
    "No answer any more", "Missing features",
]  # fmt: skip
PAUSE_REASONS_ZH = [
    "客户预算冻结，等下季度", "客户内部重组", "等待客户招标结果", "客户春节后再议",
    "客户负责人休假",
]  # fmt: skip
PAUSE_REASONS_EN = ["Budget frozen until next quarter", "Waiting for their tender", "On leave"]

# -- contracts ---------------------------------------------------------------------------------

CONTRACT_TITLES_ZH = ["{product}销售合同", "{product}年度服务合同", "{product}采购合同"]
CONTRACT_TITLES_EN = ["{product} sales contract", "{product} annual service agreement"]
FRAMEWORK_TITLE_ZH = "年度采购框架协议"
FRAMEWORK_TITLE_EN = "Annual purchasing framework agreement"
TERMINATION_REASONS_ZH = ["客户经营困难，协商提前终止", "客户转向其他供应商", "双方协商解除"]
TERMINATION_REASONS_EN = ["Ended early by agreement", "Moved to another supplier"]

# -- orders and payments -----------------------------------------------------------------------

ORDER_ITEMS_ZH = [
    "工业传感器 A200", "PLC 控制模块", "伺服电机 S3", "数据采集网关", "标准版软件授权",
    "专业版软件授权", "企业版软件授权", "年度维保服务", "现场实施服务", "备品备件包",
    "培训服务", "云服务年费", "定制开发", "检测仪器 T10", "耗材套装",
]  # fmt: skip
ORDER_ITEMS_EN = [
    "Sensor A200", "PLC module", "Servo motor S3", "Standard licence", "Enterprise licence",
    "Annual maintenance", "On-site implementation", "Spare parts kit", "Training",
]  # fmt: skip
QUANTITIES = [1, 1, 1, 1, 2, 2, 3, 4, 5, 10, 12, 20, 24, 50, 100]
# Payment terms in days after the order: companies buy on credit, people pay at once.
COMPANY_TERMS = [0, 15, 30, 30, 30, 30, 45, 60, 60, 90]
PERSON_TERMS = [0, 0, 0, 7, 15]
# (method, weight for companies, weight for people)
PAYMENT_METHODS = [
    ("bank_transfer", 80, 10),
    ("cheque", 3, 0),
    ("cash", 2, 10),
    ("alipay", 5, 35),
    ("wechat_pay", 6, 40),
    ("card", 2, 5),
    ("other", 2, 0),
]
# How a reference of each method starts (a bank's code for transfers).
PAYMENT_REFERENCE_PREFIXES = {
    "bank_transfer": ["ICBC", "CCB", "ABC", "BOC", "CMB", "BOCOM", "SPDB"],
    "cheque": ["CHQ"],
    "alipay": ["2088"],
    "wechat_pay": ["4200"],
    "card": ["POS"],
    "cash": [""],
    "other": [""],
}

# -- service -----------------------------------------------------------------------------------

TICKET_SUBJECTS_ZH = [
    "设备无法开机", "软件登录报错", "数据同步失败", "发票信息有误", "到货缺少配件",
    "系统运行缓慢", "申请现场技术支持", "咨询升级方案", "打印模块故障", "账号权限调整",
    "接口对接问题", "需要补发资料",
]  # fmt: skip
TICKET_SUBJECTS_EN = [
    "Cannot log in", "Device will not start", "Sync fails", "Wrong invoice details",
    "Missing parts on delivery", "Request for on-site support",
]  # fmt: skip
TICKET_DESCRIPTIONS_ZH = [
    "客户来电反映问题，已记录现象和截图。",
    "客户通过微信反馈，希望尽快安排处理。",
    "问题自昨天起出现，影响日常使用。",
    "客户要求本周内给出解决方案。",
    "",
]
TICKET_DESCRIPTIONS_EN = ["Reported by phone, screenshots attached.", "Reported by email.", ""]
TICKET_REPLIES_ZH = [
    "您好，已收到您的反馈，工程师正在排查。",
    "已远程处理，请您确认是否恢复正常。",
    "配件已安排补发，预计三天内送达。",
    "问题已修复，感谢您的耐心等待。",
    "需要您提供一下设备序列号，谢谢。",
]
TICKET_REPLIES_EN = [
    "Thanks, an engineer is looking into it.",
    "Fixed remotely; please check that it works again.",
    "The missing parts are on their way.",
]
TICKET_CUSTOMER_WORDS_ZH = [
    "客户回复：问题仍然存在。",
    "客户补充了截图和日志。",
    "客户确认已恢复。",
]
TICKET_CUSTOMER_WORDS_EN = ["Customer: still happening.", "Customer: works again, thanks."]
TICKET_NOTES_ZH = [
    "内部：已升级给二线支持。",
    "内部：同类问题本月第三次出现。",
    "内部：等待备件到库。",
]
TICKET_NOTES_EN = ["Internal: passed to second-line support.", "Internal: waiting for parts."]
SATISFACTION_COMMENTS_ZH = ["响应很快", "处理及时，满意", "等待时间太长", "问题反复出现", ""]
SATISFACTION_COMMENTS_EN = ["Quick answer", "Took too long", ""]

COMPLAINT_SUBJECTS_ZH = [
    "交货延迟", "产品质量问题", "售后响应太慢", "账单金额错误", "销售承诺未兑现",
    "安装人员态度差", "同一故障反复出现",
]  # fmt: skip
COMPLAINT_SUBJECTS_EN = ["Late delivery", "Quality problem", "Slow support", "Wrong invoice"]
SUGGESTION_SUBJECTS_ZH = [
    "希望增加移动端功能",
    "建议提供月度对账单",
    "希望延长质保期",
    "建议优化报表",
]
SUGGESTION_SUBJECTS_EN = ["Add a mobile app", "Monthly statements, please"]
PRAISE_SUBJECTS_ZH = ["感谢工程师现场支持", "交付准时，非常满意", "客户经理服务周到"]
PRAISE_SUBJECTS_EN = ["Thanks to the on-site engineer", "Delivered on time"]
FEEDBACK_DESCRIPTIONS_ZH = ["客户电话反馈。", "客户在回访中提出。", "客户邮件反馈，附有照片。", ""]
FEEDBACK_DESCRIPTIONS_EN = ["Told us by phone.", "Raised in a follow-up call.", ""]
RESOLUTIONS_ZH = [
    "已致歉并补发货物，客户接受。", "已更换故障产品，并延长质保三个月。",
    "已更正账单并重新开具发票。", "安排专人对接，客户表示认可。",
]  # fmt: skip
RESOLUTIONS_EN = ["Apologised and replaced the goods.", "Corrected the invoice."]
ESCALATION_REASONS_ZH = ["客户多次投诉，需主管介入", "涉及金额较大", "客户威胁终止合作"]
ESCALATION_REASONS_EN = ["Repeated complaints", "Large amount at stake", "Threatens to leave"]

# -- leads -------------------------------------------------------------------------------------

DISQUALIFIED_REASONS_ZH = ["无采购需求", "联系方式无效", "同行咨询", "预算不足", "重复线索"]
