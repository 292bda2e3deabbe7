#!/usr/bin/env python3
"""Writes the official-account template library (short ids TM… / OPENTM…)
from the mini-program library's titles: each gets an industry from WeChat's
industry list, its first keywords, and a first/remark example. The first
entry is the marketing-cloud document's own 会议提醒. Run from the repository
root:

    python3 tools/gen_oa_library.py > crates/tidings-engine/data/official_account_library.json
"""
import json
import sys

mini = json.load(open("crates/tidings-engine/data/miniprogram_library.json"))

# (words in the title) -> (primary industry, deputy industry), first match wins.
INDUSTRY = [
    (("航班", "登机", "值机"), ("交通工具", "飞机相关")),
    (("火车票", "车次"), ("交通工具", "火车相关")),
    (("打车", "租车", "停车", "充电", "车辆", "违章", "年检", "汽车", "单车"), ("交通工具", "汽车相关")),
    (("快递", "包裹", "寄件", "取件"), ("运输与仓储", "快递")),
    (("运单", "配送", "库存"), ("运输与仓储", "物流")),
    (("酒店", "入住", "行李"), ("酒店旅游", "酒店")),
    (("景区", "旅游", "签证"), ("酒店旅游", "旅游")),
    (("排队", "订餐", "外卖", "餐位"), ("餐饮", "餐饮")),
    (("挂号", "就诊", "检查报告", "体检", "疫苗", "处方", "用药", "住院"), ("医药护理", "医药医疗")),
    (("美容", "宠物"), ("医药护理", "护理美容")),
    (("课程", "作业", "考试", "报名", "家长会", "校车", "直播课", "培训", "证书"), ("教育", "培训")),
    (("图书",), ("教育", "院校")),
    (("账单", "还款", "转账", "提现", "账户", "贷款"), ("金融业", "银行")),
    (("保单", "理赔"), ("金融业", "保险")),
    (("基金",), ("金融业", "基金理财信托")),
    (("水费", "电费", "燃气费", "社保", "公积金", "业务办理", "证件", "投诉", "预约办事"), ("政府与公共事业", "公共事业|非盈利机构")),
    (("话费", "宽带"), ("IT科技", "通信与运营商")),
    (("物业", "报修", "访客", "门禁", "看房", "租房", "装修"), ("房地产", "物业")),
    (("会议", "审批", "工单", "面试", "入职", "合同", "任务", "工资", "出差", "报销", "采购", "印章", "年假", "招聘", "考勤"), ("商业服务", "广告|会展")),
    (("场馆", "健身", "私教", "赛事"), ("文体娱乐", "体育")),
    (("演出", "电影"), ("文体娱乐", "娱乐休闲")),
    (("订单", "商品", "购买", "付款", "交易", "退货", "换货", "售后", "拼团", "预售", "发票", "收款", "结算", "店铺", "储值"), ("消费品", "消费品")),
    (("设备", "实名认证", "密码", "服务开通", "数据导出"), ("IT科技", "IT软件与服务")),
]


def industry(title):
    for words, ind in INDUSTRY:
        if any(w in title for w in words):
            return ind
    return ("其它", "其它")


def main():
    out = [{
        "id": "OPENTM200000001",
        "title": "会议提醒",
        "primary_industry": "商业服务",
        "deputy_industry": "广告|会展",
        "first": "您好，您有一个会议即将开始",
        "remark": "请准时参加",
        "keywords": [
            {"keyword_id": 1, "name": "会议名称", "example": "季度经营分析会"},
            {"keyword_id": 2, "name": "会议时间", "example": "2024年5月6日 14:00"},
        ],
    }]
    seen = {"会议提醒"}
    n = 0
    for t in mini:
        if t["title"] in seen:
            continue
        seen.add(t["title"])
        n += 1
        primary, deputy = industry(t["title"])
        kws = [{"keyword_id": i + 1, "name": k["name"], "example": k["example"]}
               for i, k in enumerate(t["keywords"][:5])]
        # Every other title gets an OPENTM id, the rest a TM id, as on WeChat.
        short = f"OPENTM2{n + 1:08d}" if n % 2 else f"TM{n:08d}"
        out.append({
            "id": short,
            "title": t["title"],
            "primary_industry": primary,
            "deputy_industry": deputy,
            "first": f"您好，{t['title'][:-2]}如下",
            "remark": "如有疑问，请联系客服",
            "keywords": kws,
        })
        if n >= 150:
            break
    json.dump(out, sys.stdout, ensure_ascii=False, indent=0)
    sys.stdout.write("\n")
    print(f"{len(out)} templates", file=sys.stderr)


main()
