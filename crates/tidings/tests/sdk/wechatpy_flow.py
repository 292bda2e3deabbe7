"""The whole mini-program template flow through wechatpy, a third-party
WeChat SDK from PyPI, unchanged: only its HTTP session is pointed at Tidings
(as a hosts entry or a proxy would), since wechatpy hard-codes WeChat's host.

Environment: TIDINGS_BASE, APPID, SECRET, OPENID, FORM_ID.
Prints the template id and the msgid on success; exits non-zero otherwise.
"""
import os
import sys

import requests
from requests.adapters import HTTPAdapter
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

WECHAT = "https://api.weixin.qq.com/"


class ToTidings(HTTPAdapter):
    """Sends what wechatpy addresses to api.weixin.qq.com to Tidings."""

    def __init__(self, base):
        super().__init__()
        self.base = base.rstrip("/") + "/"

    def send(self, request, **kwargs):
        request.url = self.base + request.url[len(WECHAT):]
        return super().send(request, **kwargs)


def check(cond, what):
    if not cond:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)


def main():
    env = os.environ
    client = WeChatClient(env["APPID"], env["SECRET"])
    client._http.mount(WECHAT, ToTidings(env["TIDINGS_BASE"]))

    token = client.access_token
    check(isinstance(token, str) and len(token) > 20, "access token")

    library = client.wxa.list_library_templates(offset=1, count=5)
    titles = [(t["id"], t["title"]) for t in library["list"]]
    check(titles[0] == ("AT0002", "购买成功通知"), f"library list: {titles}")
    check(library["total_count"] >= 500, "library size")

    title = client.wxa.get_library_template("AT0002")
    names = {k["keyword_id"]: k["name"] for k in title["keyword_list"]}
    check(names.get(3) == "购买地点" and names.get(5) == "物品名称", f"library get: {title}")

    template_id = client.wxa.add_template("AT0002", [3, 4, 5])
    check(len(template_id) == 43, f"template id {template_id}")

    templates = client.wxa.list_templates(offset=0, count=20)
    mine = [t for t in templates if t["template_id"] == template_id]
    check(mine and mine[0]["content"].startswith("购买地点{{keyword1.DATA}}"), f"list: {templates}")

    sent = client.wxa.send_template_message(
        env["OPENID"],
        template_id,
        {
            "keyword1": {"value": "TIT造舰厂", "color": "#173177"},
            "keyword2": {"value": "2016年6月6日"},
            "keyword3": {"value": "咖啡"},
        },
        env["FORM_ID"],
        page="index?from=sdk",
        emphasis_keyword="keyword3.DATA",
    )
    check(sent["errcode"] == 0, f"send: {sent}")

    try:
        client.wxa.send_template_message(env["OPENID"], template_id, {}, env["FORM_ID"])
        check(False, "a used form_id was accepted twice")
    except WeChatClientException as e:
        check(e.errcode == 41029, f"reused form_id: {e.errcode} {e.errmsg}")

    client.wxa.del_template(template_id)
    left = client.wxa.list_templates(offset=0, count=20)
    check(all(t["template_id"] != template_id for t in left), "deleted")

    print(f"template_id={template_id}")
    print(f"msgid={sent['msgid']}")


if __name__ == "__main__":
    main()
