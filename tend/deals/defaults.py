"""The default sales pipeline: the seven stages of seed 000 (潜在客户 … 售后服务) with the
guidance the seed gives each (definition, goal, methods, tools), and a lost stage so that a
deal can be lost. Plain data, read by the data migration that installs it and by
`tend.deals.actions.install_default_pipeline` (tests, a fresh database after a flush).

The Chinese text is the seed's, with its vendor name replaced by Tend; the English is a
translation of it. 售后服务 comes after signing, so it is won as well: a deal there is won
and in delivery."""

DEFAULT_PIPELINE = {"name_zh": "销售管道", "name_en": "Sales pipeline", "order": 0}

DEFAULT_STAGES = [
    {
        "key": "potential",
        "label_zh": "潜在客户",
        "label_en": "Potential customer",
        "category": "open",
        "probability": 10,
        "stalled_after_days": 14,
        "color": "#6e7781",
        "definition_zh": "潜在客户是指那些对企业的产品或服务表现出初步兴趣但尚未进行详细接触的客户。",
        "definition_en": (
            "A potential customer has shown initial interest in the company's products or "
            "services but has not yet been contacted in detail."
        ),
        "goal_zh": "吸引客户的注意，收集客户的基本信息。",
        "goal_en": "Attract the customer's attention and collect their basic information.",
        "methods_zh": (
            "- 市场推广：通过广告、社交媒体、搜索引擎优化等手段吸引潜在客户。\n"
            "- 数据收集：通过注册表单、问卷调查等方式收集潜在客户的信息。"
        ),
        "methods_en": (
            "- Marketing: attract potential customers through advertising, social media, "
            "search engine optimisation and similar means.\n"
            "- Data collection: gather potential customers' information through sign-up forms, "
            "questionnaires and similar means."
        ),
        "tools_zh": "Tend 可以帮助企业高效管理潜在客户信息。",
        "tools_en": "Tend helps the company manage potential customers' information efficiently.",
    },
    {
        "key": "first_contact",
        "label_zh": "初步接触",
        "label_en": "Initial contact",
        "category": "open",
        "probability": 20,
        "stalled_after_days": 14,
        "color": "#0969da",
        "definition_zh": "与潜在客户进行第一次正式接触，了解客户的基本需求。",
        "definition_en": (
            "The first formal contact with the potential customer, to learn their basic needs."
        ),
        "goal_zh": "建立初步信任关系，确认客户的兴趣和需求。",
        "goal_en": "Build initial trust and confirm the customer's interest and needs.",
        "methods_zh": (
            "- 电话联系：通过电话与客户进行初步沟通。\n"
            "- 面谈：安排与客户的第一次会面，了解客户需求。"
        ),
        "methods_en": (
            "- Phone calls: hold a first conversation with the customer by phone.\n"
            "- Meetings: arrange a first meeting with the customer to understand their needs."
        ),
        "tools_zh": "Tend 可以记录每次接触的详细情况，便于后续跟进。",
        "tools_en": "Tend records the details of every contact, which makes follow-up easier.",
    },
    {
        "key": "needs_analysis",
        "label_zh": "需求分析",
        "label_en": "Needs analysis",
        "category": "open",
        "probability": 40,
        "stalled_after_days": 21,
        "color": "#8250df",
        "definition_zh": "详细了解客户的需求和痛点，确定客户的购买意向。",
        "definition_en": (
            "Learn the customer's needs and pain points in detail, and establish their "
            "intention to buy."
        ),
        "goal_zh": "明确客户需求，为后续方案制定提供依据。",
        "goal_en": "Pin down the customer's needs as the basis for the proposal that follows.",
        "methods_zh": (
            "- 深度访谈：与客户进行深入交流，了解其具体需求。\n"
            "- 问卷调查：通过问卷了解客户的详细需求和期望。"
        ),
        "methods_en": (
            "- In-depth interviews: talk with the customer at length to understand their "
            "specific needs.\n"
            "- Questionnaires: learn the customer's detailed needs and expectations through "
            "a questionnaire."
        ),
        "tools_zh": "Tend 可以帮助企业记录和分析客户需求，生成需求报告。",
        "tools_en": "Tend helps record and analyse the customer's needs and produce a needs report.",
    },
    {
        "key": "proposal",
        "label_zh": "方案制定",
        "label_en": "Proposal",
        "category": "open",
        "probability": 60,
        "stalled_after_days": 21,
        "color": "#bf3989",
        "definition_zh": "根据客户需求制定具体的解决方案。",
        "definition_en": "Draw up a concrete solution based on the customer's needs.",
        "goal_zh": "提供符合客户需求的解决方案，促成客户购买。",
        "goal_en": "Offer a solution that meets the customer's needs, and bring about the purchase.",
        "methods_zh": (
            "- 方案设计：根据客户需求设计详细的解决方案。\n"
            "- 方案演示：向客户展示解决方案的具体内容和优势。"
        ),
        "methods_en": (
            "- Solution design: design a detailed solution from the customer's needs.\n"
            "- Solution demonstration: show the customer what the solution contains and "
            "its advantages."
        ),
        "tools_zh": "Tend 可以帮助企业生成和管理解决方案文件。",
        "tools_en": "Tend helps produce and manage the solution documents.",
    },
    {
        "key": "negotiation",
        "label_zh": "谈判阶段",
        "label_en": "Negotiation",
        "category": "open",
        "probability": 80,
        "stalled_after_days": 30,
        "color": "#bc4c00",
        "definition_zh": "与客户就方案细节和合同条款进行谈判。",
        "definition_en": (
            "Negotiate the details of the solution and the terms of the contract with the customer."
        ),
        "goal_zh": "达成双方满意的合作协议。",
        "goal_en": "Reach a cooperation agreement that satisfies both sides.",
        "methods_zh": (
            "- 谈判技巧：运用专业的谈判技巧，与客户进行沟通。\n"
            "- 合同条款：明确合同中的各项条款，确保双方权益。"
        ),
        "methods_en": (
            "- Negotiation skills: communicate with the customer using professional "
            "negotiation skills.\n"
            "- Contract terms: make every term of the contract clear, to protect the rights "
            "and interests of both sides."
        ),
        "tools_zh": "Tend 可以记录谈判过程和合同细节，便于后续管理。",
        "tools_en": (
            "Tend records the course of the negotiation and the contract details, for "
            "later management."
        ),
    },
    {
        "key": "signed",
        "label_zh": "签约客户",
        "label_en": "Signed",
        "category": "won",
        "probability": 100,
        "stalled_after_days": None,
        "color": "#1a7f37",
        "definition_zh": "客户与企业正式签订合同，成为企业的正式客户。",
        "definition_en": (
            "The customer formally signs a contract with the company and becomes a formal customer."
        ),
        "goal_zh": "顺利完成签约，确保合同履行。",
        "goal_en": "Complete the signing smoothly and make sure the contract is fulfilled.",
        "methods_zh": (
            "- 合同签订：与客户签订正式合同，明确双方责任和义务。\n"
            "- 服务启动：根据合同内容启动服务或产品交付。"
        ),
        "methods_en": (
            "- Contract signing: sign a formal contract with the customer that sets out both "
            "sides' responsibilities and obligations.\n"
            "- Service start: start the service or the product delivery as the contract says."
        ),
        "tools_zh": "Tend 可以管理客户合同和服务进度，确保合同履行。",
        "tools_en": (
            "Tend manages the customer's contracts and the progress of the service, to make "
            "sure the contract is fulfilled."
        ),
    },
    {
        "key": "after_sales",
        "label_zh": "售后服务",
        "label_en": "After-sales service",
        "category": "won",
        "probability": 100,
        "stalled_after_days": None,
        "color": "#0a7f74",
        "definition_zh": "为客户提供合同履行后的服务和支持。",
        "definition_en": "Service and support for the customer after the contract is fulfilled.",
        "goal_zh": "提升客户满意度，促进客户的二次购买和推荐。",
        "goal_en": "Raise customer satisfaction, and encourage repeat purchases and referrals.",
        "methods_zh": (
            "- 客户支持：提供技术支持和售后服务，解决客户问题。\n"
            "- 客户回访：定期回访客户，了解其使用情况和反馈。"
        ),
        "methods_en": (
            "- Customer support: provide technical support and after-sales service, and solve "
            "the customer's problems.\n"
            "- Follow-up visits: call on the customer regularly to learn how they use the "
            "product and what they think of it."
        ),
        "tools_zh": "Tend 可以管理客户服务记录和反馈，提升客户满意度。",
        "tools_en": ("Tend manages service records and feedback, to raise customer satisfaction."),
    },
    {
        # Not in the seed, which names won/lost as outcomes: where a lost deal goes.
        "key": "lost",
        "label_zh": "输单",
        "label_en": "Lost",
        "category": "lost",
        "probability": 0,
        "stalled_after_days": None,
        "color": "#cf222e",
        "definition_zh": "商机未能成交：客户选择了其他供应商、取消了采购或不再回应。",
        "definition_en": (
            "The deal did not close: the customer chose another supplier, cancelled the "
            "purchase or stopped answering."
        ),
        "goal_zh": "记录输单原因，总结经验。",
        "goal_en": "Record why the deal was lost, and learn from it.",
        "methods_zh": (
            "- 输单分析：记录原因（价格、产品、竞争对手、时机），与团队复盘。\n"
            "- 保持联系：定期回访客户，等待新的机会。"
        ),
        "methods_en": (
            "- Loss review: record the reason (price, product, competitor, timing) and review "
            "it with the team.\n"
            "- Stay in touch: call on the customer from time to time, for the next opportunity."
        ),
        "tools_zh": "Tend 记录每个商机的输单原因，便于统计分析。",
        "tools_en": "Tend keeps every deal's loss reason, for analysis.",
    },
]


def install(pipeline_model, stage_model):
    """Create the default pipeline with its stages, unless a default pipeline exists; the
    models are passed in so the data migration can use its historical ones."""
    existing = pipeline_model.objects.filter(is_default=True).first()
    if existing is not None:
        return existing
    pipeline = pipeline_model.objects.create(is_default=True, **DEFAULT_PIPELINE)
    stage_model.objects.bulk_create(
        stage_model(pipeline=pipeline, order=(number + 1) * 10, **stage)
        for number, stage in enumerate(DEFAULT_STAGES)
    )
    return pipeline
