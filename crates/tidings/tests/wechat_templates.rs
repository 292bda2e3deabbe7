//! The template library and account templates over the WeChat dialect.

mod common;

use common::{errcode, TestDb, TestServer};
use serde_json::{json, Value};

backend_tests!(
    library_lists_and_gets_the_seed_examples,
    library_pages_cover_every_title_once,
    templates_add_list_delete,
    template_composition_errors,
    at_most_25_templates_per_app,
    apps_see_only_their_own_templates,
    other_kinds_cannot_use_miniprogram_apis,
);

async fn library_lists_and_gets_the_seed_examples(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let list = s
        .wx(
            "/cgi-bin/wxopen/template/library/list",
            &m.token,
            &json!({"offset": 1, "count": 5}),
        )
        .await;
    assert_eq!(list["errcode"], 0, "{list}");
    assert_eq!(list["errmsg"], "ok");
    assert_eq!(
        list["list"],
        json!([
            {"id": "AT0002", "title": "购买成功通知"},
            {"id": "AT0003", "title": "购买失败通知"},
            {"id": "AT0004", "title": "交易提醒"},
            {"id": "AT0005", "title": "付款成功通知"},
            {"id": "AT0006", "title": "付款失败通知"},
        ])
    );
    assert!(list["total_count"].as_u64().unwrap() >= 500);
    let get = s
        .wx(
            "/cgi-bin/wxopen/template/library/get",
            &m.token,
            &json!({"id": "AT0002"}),
        )
        .await;
    assert_eq!(get["id"], "AT0002");
    assert_eq!(get["title"], "购买成功通知");
    let kws = get["keyword_list"].as_array().unwrap();
    for (id, name, example) in [
        (3, "购买地点", "TIT造舰厂"),
        (4, "购买时间", "2016年6月6日"),
        (5, "物品名称", "咖啡"),
    ] {
        assert!(
            kws.contains(&json!({"keyword_id": id, "name": name, "example": example})),
            "{id} {name} {example} in {get}"
        );
    }
    let over = s
        .wx(
            "/cgi-bin/wxopen/template/library/list",
            &m.token,
            &json!({"offset": 0, "count": 21}),
        )
        .await;
    assert_eq!(over["errcode"], 40097, "{over}");
    let unknown = s
        .wx(
            "/cgi-bin/wxopen/template/library/get",
            &m.token,
            &json!({"id": "AT9999"}),
        )
        .await;
    assert_eq!(unknown["errcode"], 40097, "{unknown}");
    let no_token = s
        .post_json(
            "/cgi-bin/wxopen/template/library/list",
            &json!({"offset": 0, "count": 1}),
        )
        .await;
    assert_eq!(no_token["errcode"], 41001);
    s.stop().await;
}

async fn library_pages_cover_every_title_once(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let mut ids = Vec::new();
    let mut offset = 0;
    let total = loop {
        let page = s
            .wx(
                "/cgi-bin/wxopen/template/library/list",
                &m.token,
                &json!({"offset": offset, "count": 20}),
            )
            .await;
        let list = page["list"].as_array().unwrap().clone();
        for t in &list {
            let title = t["title"].as_str().unwrap();
            assert!(
                title.ends_with("提醒") || title.ends_with("通知"),
                "{title}"
            );
            ids.push(t["id"].as_str().unwrap().to_owned());
        }
        offset += 20;
        if list.len() < 20 {
            break page["total_count"].as_u64().unwrap();
        }
    };
    assert_eq!(ids.len() as u64, total);
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(unique.len(), ids.len());
    s.stop().await;
}

async fn templates_add_list_delete(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let id = s.purchase_template(&m.token).await;
    assert_eq!(id.len(), 43);
    assert!(id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    let reordered = s
        .wx(
            "/cgi-bin/wxopen/template/add",
            &m.token,
            &json!({"id": "AT0002", "keyword_id_list": [5, 3]}),
        )
        .await;
    let second = reordered["template_id"].as_str().unwrap().to_owned();
    let list = s
        .wx(
            "/cgi-bin/wxopen/template/list",
            &m.token,
            &json!({"offset": 0, "count": 1}),
        )
        .await;
    assert_eq!(errcode(&list), 0);
    assert_eq!(
        list["list"],
        json!([{
            "template_id": id,
            "title": "购买成功通知",
            "content": "购买地点{{keyword1.DATA}}\n购买时间{{keyword2.DATA}}\n物品名称{{keyword3.DATA}}\n",
            "example": "购买地点:TIT造舰厂\n购买时间:2016年6月6日\n物品名称:咖啡\n",
        }])
    );
    let page2 = s
        .wx(
            "/cgi-bin/wxopen/template/list",
            &m.token,
            &json!({"offset": 1, "count": 20}),
        )
        .await;
    assert_eq!(page2["list"][0]["template_id"], second.as_str());
    assert_eq!(
        page2["list"][0]["content"],
        "物品名称{{keyword1.DATA}}\n购买地点{{keyword2.DATA}}\n"
    );
    let del = s
        .wx(
            "/cgi-bin/wxopen/template/del",
            &m.token,
            &json!({"template_id": id}),
        )
        .await;
    assert_eq!(del, json!({"errcode": 0, "errmsg": "ok"}));
    let again = s
        .wx(
            "/cgi-bin/wxopen/template/del",
            &m.token,
            &json!({"template_id": id}),
        )
        .await;
    assert_eq!(again["errcode"], 40037);
    let left = s
        .wx(
            "/cgi-bin/wxopen/template/list",
            &m.token,
            &json!({"offset": 0, "count": 20}),
        )
        .await;
    assert_eq!(left["list"].as_array().unwrap().len(), 1);
    s.stop().await;
}

async fn template_composition_errors(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let eleven: Vec<u32> = (1..=11).collect();
    for (body, hint) in [
        (json!({"id": "AT0002", "keyword_id_list": [3, 3]}), "twice"),
        (json!({"id": "AT0002", "keyword_id_list": [3, 99]}), "99"),
        (json!({"id": "AT0002", "keyword_id_list": []}), "empty"),
        (
            json!({"id": "AT0002", "keyword_id_list": eleven}),
            "more than 10",
        ),
        (
            json!({"id": "AT9999", "keyword_id_list": [1]}),
            "library title",
        ),
        (json!({"id": "bogus", "keyword_id_list": [1]}), "AT0002"),
    ] {
        let v = s.wx("/cgi-bin/wxopen/template/add", &m.token, &body).await;
        assert_eq!(v["errcode"], 40097, "{body}: {v}");
        assert!(v["errmsg"].as_str().unwrap().contains(hint), "{body}: {v}");
    }
    let bad = s
        .wx(
            "/cgi-bin/wxopen/template/add",
            &m.token,
            &json!({"id": "AT0002"}),
        )
        .await;
    assert_eq!(bad["errcode"], 47001, "missing keyword_id_list: {bad}");
    let list = s
        .wx(
            "/cgi-bin/wxopen/template/list",
            &m.token,
            &json!({"offset": 0, "count": 20}),
        )
        .await;
    assert_eq!(list["list"], json!([]), "nothing stored");
    s.stop().await;
}

async fn at_most_25_templates_per_app(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    for _ in 0..25 {
        s.purchase_template(&m.token).await;
    }
    let over = s
        .wx(
            "/cgi-bin/wxopen/template/add",
            &m.token,
            &json!({"id": "AT0004", "keyword_id_list": [1, 2]}),
        )
        .await;
    assert_eq!(over["errcode"], 45026, "{over}");
    let all = s
        .wx(
            "/cgi-bin/wxopen/template/list",
            &m.token,
            &json!({"offset": 0, "count": 20}),
        )
        .await;
    let rest = s
        .wx(
            "/cgi-bin/wxopen/template/list",
            &m.token,
            &json!({"offset": 20, "count": 20}),
        )
        .await;
    assert_eq!(
        all["list"].as_array().unwrap().len() + rest["list"].as_array().unwrap().len(),
        25
    );
    // Deleting one makes room again.
    let first = all["list"][0]["template_id"].as_str().unwrap();
    s.wx(
        "/cgi-bin/wxopen/template/del",
        &m.token,
        &json!({"template_id": first}),
    )
    .await;
    assert_eq!(
        errcode(
            &s.wx(
                "/cgi-bin/wxopen/template/add",
                &m.token,
                &json!({"id": "AT0004", "keyword_id_list": [1]})
            )
            .await
        ),
        0
    );
    s.stop().await;
}

async fn apps_see_only_their_own_templates(db: TestDb) {
    let s = TestServer::start(&db).await;
    let a = s.mini_program().await;
    let b = s.mini_program().await;
    let t = s.purchase_template(&a.token).await;
    let b_list = s
        .wx(
            "/cgi-bin/wxopen/template/list",
            &b.token,
            &json!({"offset": 0, "count": 20}),
        )
        .await;
    assert_eq!(b_list["list"], json!([]));
    let b_del = s
        .wx(
            "/cgi-bin/wxopen/template/del",
            &b.token,
            &json!({"template_id": t}),
        )
        .await;
    assert_eq!(b_del["errcode"], 40037);
    let a_list = s
        .wx(
            "/cgi-bin/wxopen/template/list",
            &a.token,
            &json!({"offset": 0, "count": 20}),
        )
        .await;
    assert_eq!(
        a_list["list"][0]["template_id"],
        t.as_str(),
        "A's template survives B's attempt"
    );
    s.stop().await;
}

async fn other_kinds_cannot_use_miniprogram_apis(db: TestDb) {
    let s = TestServer::start(&db).await;
    let (appid, secret) = s.create_app("official_account").await;
    let token = s.access_token(&appid, &secret).await;
    let v: Value = s
        .wx(
            "/cgi-bin/wxopen/template/add",
            &token,
            &json!({"id": "AT0002", "keyword_id_list": [3]}),
        )
        .await;
    assert_eq!(v["errcode"], 48001, "{v}");
    s.stop().await;
}
