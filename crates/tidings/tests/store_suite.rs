//! The storage test suite: the `Store` contract, run against every backend.

mod common;

use std::sync::Arc;

use common::TestDb;
use tidings::store::{open, DatabaseUrl};
use tidings_engine::{
    builtin_library, AccessToken, App, AppId, AppKind, AppName, AppSecret, Grant, GrantKind,
    OpenId, Pages, Row, Template, TemplateId, Timestamp, TokenLane, User,
};
use tidings_store::{
    AppPatch, Chunk, ChunkMessage, ChunkOutcome, DailyLimit, IssueOutcome, IssueToken, NewMessage,
    NewSend, SendOutcome, Store, StoreError, TemplateInsert, Turn,
};

backend_tests!(
    settings_keep_their_first_value,
    apps_round_trip,
    duplicate_appids_conflict,
    app_updates_and_missing_apps,
    apps_list_in_pages,
    issuing_supersedes_the_current_token,
    expected_generation_detects_races,
    daily_limits_count_per_lane_and_kind,
    concurrent_issues_leave_one_current_token,
    pruning_keeps_current_tokens,
    data_survives_reopening,
    library_loads_once_and_pages_in_order,
    templates_are_capped_per_app,
    a_send_is_all_or_nothing,
    concurrent_sends_stop_at_the_days_limit,
    events_follow_the_apps_webhooks,
    messages_list_newest_first_and_mark_read,
    client_msg_ids_return_the_first_message,
    links_find_their_message_by_its_id_and_secret,
    marketing_templates_round_trip,
    workspace_templates_round_trip,
    employees_keep_their_org_paths,
    library_search_matches_part_of_a_title,
    send_timelines_count_per_bucket,
    inbox_passes_are_found_by_hash,
    chunks_land_only_onto_their_predecessor,
);

async fn store(db: &TestDb) -> Arc<dyn Store> {
    open(&DatabaseUrl::parse(&db.url).unwrap())
        .await
        .expect("store opens")
}

fn at(secs: i64) -> Timestamp {
    Timestamp::from_millis(1_795_226_400_000 + secs * 1000)
}

fn app(kind: AppKind) -> App {
    App {
        appid: AppId::generate(),
        name: AppName::parse("商店").unwrap(),
        kind,
        pages: Pages::parse_all(&["pages/index/index"]).unwrap(),
        secret_hash: AppSecret::generate().hash(),
        created_at: at(0),
        updated_at: at(0),
        disabled_at: None,
        daily_send_limit: None,
        banned_until: None,
    }
}

fn issue(appid: &AppId, lane: TokenLane, now: Timestamp) -> IssueToken {
    IssueToken {
        appid: appid.clone(),
        lane,
        hash: AccessToken::generate().hash(),
        forced: false,
        issued_at: now,
        expires_at: now.plus_secs(7200),
        expect_generation: None,
        daily_limit: None,
    }
}

async fn settings_keep_their_first_value(db: TestDb) {
    let s = store(&db).await;
    assert_eq!(s.get_setting("k").await.unwrap(), None);
    assert_eq!(s.init_setting("k", "first").await.unwrap(), "first");
    assert_eq!(s.init_setting("k", "second").await.unwrap(), "first");
    assert_eq!(s.get_setting("k").await.unwrap().as_deref(), Some("first"));
}

async fn apps_round_trip(db: TestDb) {
    let s = store(&db).await;
    let a = app(AppKind::Miniprogram);
    s.insert_app(&a).await.unwrap();
    assert_eq!(s.get_app(&a.appid).await.unwrap(), Some(a.clone()));
    assert_eq!(s.get_app(&AppId::generate()).await.unwrap(), None);
}

async fn duplicate_appids_conflict(db: TestDb) {
    let s = store(&db).await;
    let a = app(AppKind::Workspace);
    s.insert_app(&a).await.unwrap();
    let err = s.insert_app(&a).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    // The failed insert changed nothing, and the store still writes.
    assert_eq!(s.get_app(&a.appid).await.unwrap(), Some(a));
    s.insert_app(&app(AppKind::Workspace)).await.unwrap();
}

async fn app_updates_and_missing_apps(db: TestDb) {
    let s = store(&db).await;
    let a = app(AppKind::Miniprogram);
    s.insert_app(&a).await.unwrap();
    let patch = AppPatch {
        name: Some(AppName::parse("新店").unwrap()),
        pages: None,
        daily_send_limit: Some(7),
    };
    let u = s
        .update_app(&a.appid, &patch, at(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u.name.as_str(), "新店");
    assert_eq!(u.pages, a.pages, "pages untouched");
    assert_eq!(u.updated_at, at(10));
    assert_eq!(u.daily_send_limit, Some(7));
    let new_secret = AppSecret::generate();
    let r = s
        .set_app_secret(&a.appid, &new_secret.hash(), at(20))
        .await
        .unwrap()
        .unwrap();
    assert!(r.secret_hash.matches(new_secret.expose()));
    let d = s.disable_app(&a.appid, at(30)).await.unwrap().unwrap();
    assert_eq!(d.disabled_at, Some(at(30)));
    let again = s.disable_app(&a.appid, at(40)).await.unwrap().unwrap();
    assert_eq!(again.disabled_at, Some(at(30)), "first disable time kept");
    let ghost = AppId::generate();
    assert!(s.update_app(&ghost, &patch, at(0)).await.unwrap().is_none());
    assert!(s
        .set_app_secret(&ghost, &new_secret.hash(), at(0))
        .await
        .unwrap()
        .is_none());
    assert!(s.disable_app(&ghost, at(0)).await.unwrap().is_none());
}

async fn apps_list_in_pages(db: TestDb) {
    let s = store(&db).await;
    let mut ids = Vec::new();
    for _ in 0..7 {
        let a = app(AppKind::OfficialAccount);
        s.insert_app(&a).await.unwrap();
        ids.push(a.appid);
    }
    ids.sort();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = s.list_apps(after.as_ref(), 3).await.unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|a| a.appid.clone());
        seen.extend(page.into_iter().map(|a| a.appid));
    }
    assert_eq!(seen, ids);
}

async fn issuing_supersedes_the_current_token(db: TestDb) {
    let s = store(&db).await;
    let a = app(AppKind::Miniprogram);
    s.insert_app(&a).await.unwrap();
    let first = issue(&a.appid, TokenLane::Plain, at(0));
    assert_eq!(
        s.issue_token(&first).await.unwrap(),
        IssueOutcome::Issued { generation: 1 }
    );
    let stable = issue(&a.appid, TokenLane::Stable, at(1));
    assert_eq!(
        s.issue_token(&stable).await.unwrap(),
        IssueOutcome::Issued { generation: 1 }
    );
    let second = issue(&a.appid, TokenLane::Plain, at(5));
    assert_eq!(
        s.issue_token(&second).await.unwrap(),
        IssueOutcome::Issued { generation: 2 }
    );

    let old = s.get_token(&first.hash).await.unwrap().unwrap();
    assert_eq!(old.superseded_at, Some(at(5)));
    let cur = s
        .current_token(&a.appid, TokenLane::Plain)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cur.hash, second.hash);
    assert_eq!(cur.superseded_at, None);
    let st = s
        .current_token(&a.appid, TokenLane::Stable)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(st.hash, stable.hash, "lanes are independent");
    let ghost = issue(&AppId::generate(), TokenLane::Plain, at(0));
    assert_eq!(s.issue_token(&ghost).await.unwrap(), IssueOutcome::NoApp);
}

async fn expected_generation_detects_races(db: TestDb) {
    let s = store(&db).await;
    let a = app(AppKind::Miniprogram);
    s.insert_app(&a).await.unwrap();
    let mut first = issue(&a.appid, TokenLane::Stable, at(0));
    first.expect_generation = Some(0);
    assert_eq!(
        s.issue_token(&first).await.unwrap(),
        IssueOutcome::Issued { generation: 1 }
    );
    let mut late = issue(&a.appid, TokenLane::Stable, at(1));
    late.expect_generation = Some(0);
    assert_eq!(s.issue_token(&late).await.unwrap(), IssueOutcome::Raced);
    assert!(
        s.get_token(&late.hash).await.unwrap().is_none(),
        "nothing stored on a race"
    );
    late.expect_generation = Some(1);
    assert_eq!(
        s.issue_token(&late).await.unwrap(),
        IssueOutcome::Issued { generation: 2 }
    );
}

async fn daily_limits_count_per_lane_and_kind(db: TestDb) {
    let s = store(&db).await;
    let a = app(AppKind::Miniprogram);
    s.insert_app(&a).await.unwrap();
    let limit = Some(DailyLimit {
        since: at(0),
        max: 2,
    });
    for i in 0..2 {
        let mut r = issue(&a.appid, TokenLane::Plain, at(i));
        r.daily_limit = limit;
        assert!(matches!(
            s.issue_token(&r).await.unwrap(),
            IssueOutcome::Issued { .. }
        ));
    }
    let mut over = issue(&a.appid, TokenLane::Plain, at(3));
    over.daily_limit = limit;
    assert_eq!(
        s.issue_token(&over).await.unwrap(),
        IssueOutcome::LimitReached
    );
    let mut forced = issue(&a.appid, TokenLane::Plain, at(3));
    forced.forced = true;
    forced.daily_limit = limit;
    assert!(
        matches!(
            s.issue_token(&forced).await.unwrap(),
            IssueOutcome::Issued { .. }
        ),
        "forced tokens count apart"
    );
    let mut next_day = issue(&a.appid, TokenLane::Plain, at(86_400));
    next_day.daily_limit = Some(DailyLimit {
        since: at(86_400),
        max: 2,
    });
    assert!(matches!(
        s.issue_token(&next_day).await.unwrap(),
        IssueOutcome::Issued { .. }
    ));
}

async fn concurrent_issues_leave_one_current_token(db: TestDb) {
    let s = store(&db).await;
    let a = app(AppKind::Miniprogram);
    s.insert_app(&a).await.unwrap();
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let s = s.clone();
            let req = issue(&a.appid, TokenLane::Plain, at(i));
            tokio::spawn(async move { s.issue_token(&req).await })
        })
        .collect();
    let mut generations = Vec::new();
    for t in tasks {
        match t.await.unwrap().unwrap() {
            IssueOutcome::Issued { generation } => generations.push(generation),
            other => panic!("unexpected {other:?}"),
        }
    }
    generations.sort_unstable();
    assert_eq!(
        generations,
        (1..=32).collect::<Vec<_>>(),
        "each issue got its own generation"
    );
    let cur = s
        .current_token(&a.appid, TokenLane::Plain)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cur.generation, 32);
}

async fn pruning_keeps_current_tokens(db: TestDb) {
    let s = store(&db).await;
    let a = app(AppKind::Miniprogram);
    s.insert_app(&a).await.unwrap();
    let old = issue(&a.appid, TokenLane::Plain, at(0));
    s.issue_token(&old).await.unwrap();
    let cur = issue(&a.appid, TokenLane::Plain, at(10));
    s.issue_token(&cur).await.unwrap();
    let pruned = s.prune_tokens(at(100_000)).await.unwrap();
    assert_eq!(pruned, 1);
    assert!(s.get_token(&old.hash).await.unwrap().is_none());
    assert!(
        s.get_token(&cur.hash).await.unwrap().is_some(),
        "the current token stays"
    );
    let next = issue(&a.appid, TokenLane::Plain, at(100_001));
    assert_eq!(
        s.issue_token(&next).await.unwrap(),
        IssueOutcome::Issued { generation: 3 },
        "generations never restart"
    );
}

async fn data_survives_reopening(db: TestDb) {
    let a = app(AppKind::Workspace);
    let t = issue(&a.appid, TokenLane::Plain, at(0));
    {
        let s = store(&db).await;
        s.insert_app(&a).await.unwrap();
        s.issue_token(&t).await.unwrap();
    }
    let s = store(&db).await;
    assert_eq!(s.get_app(&a.appid).await.unwrap(), Some(a));
    assert!(s.get_token(&t.hash).await.unwrap().is_some());
}

async fn library_loads_once_and_pages_in_order(db: TestDb) {
    let s = store(&db).await;
    // Opening the store does not load the library; the service does.
    let lib = builtin_library();
    let first = s.load_library(&lib).await.unwrap();
    let (_, total) = s.library_page(0, 1, "").await.unwrap();
    assert_eq!(total, lib.len() as u64);
    assert!(first <= lib.len() as u64);
    assert_eq!(
        s.load_library(&lib).await.unwrap(),
        0,
        "loading again adds nothing"
    );
    let (page, _) = s.library_page(1, 3, "").await.unwrap();
    let ids: Vec<_> = page.iter().map(|t| t.id.as_str().to_owned()).collect();
    assert_eq!(ids, ["AT0002", "AT0003", "AT0004"]);
    let at2 = s.library_title(&lib[1].id).await.unwrap().unwrap();
    assert_eq!(at2, lib[1]);
}

fn template_of(appid: &AppId) -> Template {
    let title = builtin_library().into_iter().nth(1).unwrap();
    Template {
        template_id: TemplateId::generate(),
        appid: appid.clone(),
        title_id: title.id.clone(),
        keywords: Template::compose(&title, &[3, 4, 5]).unwrap(),
        title: title.title,
        created_at: at(0),
    }
}

async fn templates_are_capped_per_app(db: TestDb) {
    let s = store(&db).await;
    let (a, b) = (app(AppKind::Miniprogram), app(AppKind::Miniprogram));
    s.insert_app(&a).await.unwrap();
    s.insert_app(&b).await.unwrap();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let t = template_of(&a.appid);
        assert_eq!(
            s.insert_template(&t, 3).await.unwrap(),
            TemplateInsert::Inserted
        );
        ids.push(t.template_id);
    }
    assert_eq!(
        s.insert_template(&template_of(&a.appid), 3).await.unwrap(),
        TemplateInsert::LimitReached
    );
    assert_eq!(
        s.insert_template(&template_of(&b.appid), 3).await.unwrap(),
        TemplateInsert::Inserted
    );
    assert_eq!(
        s.insert_template(&template_of(&AppId::generate()), 3)
            .await
            .unwrap(),
        TemplateInsert::NoApp
    );
    let listed: Vec<_> = s
        .list_templates(&a.appid, 0, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.template_id)
        .collect();
    assert_eq!(listed, ids, "in the order added");
    assert!(
        !s.delete_template(&b.appid, &ids[0]).await.unwrap(),
        "not B's to delete"
    );
    assert!(s.delete_template(&a.appid, &ids[0]).await.unwrap());
    assert!(s.get_template(&ids[0]).await.unwrap().is_none());
    assert_eq!(
        s.get_template(&ids[1])
            .await
            .unwrap()
            .unwrap()
            .keywords
            .len(),
        3
    );
}

async fn user_with_grant(s: &Arc<dyn Store>, kind: GrantKind) -> (App, User, Grant) {
    let a = app(AppKind::Miniprogram);
    s.insert_app(&a).await.unwrap();
    let u = User {
        appid: a.appid.clone(),
        openid: OpenId::generate(),
        nickname: Some("小明".into()),
        profile: serde_json::Map::new(),
        created_at: at(0),
    };
    s.insert_user(&u).await.unwrap();
    assert!(matches!(
        s.insert_user(&u).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        s.get_user(&a.appid, &u.openid).await.unwrap(),
        Some(u.clone())
    );
    let g = Grant::issue(a.appid.clone(), u.openid.clone(), kind, at(0));
    s.insert_grant(&g).await.unwrap();
    (a, u, g)
}

fn message(u: &User, g: &Grant, now: Timestamp, limit: u32) -> NewMessage {
    NewMessage {
        appid: u.appid.clone(),
        openid: u.openid.clone(),
        template_id: TemplateId::generate(),
        title: "购买成功通知".into(),
        rows: vec![Row {
            key: "keyword1".into(),
            name: "物品名称".into(),
            value: "咖啡".into(),
            color: None,
        }],
        emphasis: Some(0),
        page: Some("index".into()),
        grant: Some(g.id.clone()),
        created_at: now,
        day_start: now.quota_day_start(),
        daily_limit: limit,
        link_secret: Some(tidings_engine::message::new_link_secret()),
        url: None,
        client_msg_id: None,
        marketing_hits: 0,
    }
}

/// Sends that arrive together (one transaction or several) stop at the
/// day's limit exactly, each day counts apart, and what was counted is
/// stored: a reopened store goes on from it.
async fn concurrent_sends_stop_at_the_days_limit(db: TestDb) {
    let (u, g) = {
        let s = store(&db).await;
        let (_, u, g) = user_with_grant(&s, GrantKind::Payment).await;
        let burst = |day: i64, n: usize, limit: u32| {
            let tasks: Vec<_> = (0..n)
                .map(|i| {
                    let s = s.clone();
                    let m = NewMessage {
                        grant: None,
                        ..message(&u, &g, at(day * 86_400 + i as i64), limit)
                    };
                    tokio::spawn(async move { s.send_message(&Arc::new(m)).await.unwrap() })
                })
                .collect();
            async move {
                let mut sent = 0;
                for t in tasks {
                    match t.await.unwrap() {
                        SendOutcome::Sent { .. } => sent += 1,
                        SendOutcome::LimitReached => {}
                        other => panic!("unexpected outcome {other:?}"),
                    }
                }
                sent
            }
        };
        assert_eq!(burst(0, 40, 25).await, 25, "the first day stops at 25");
        assert_eq!(burst(1, 10, 25).await, 10, "the next day counts apart");
        assert_eq!(burst(0, 5, 25).await, 0, "the first day stays full");
        (u, g)
    };
    let s = store(&db).await;
    let later = |limit| NewMessage {
        grant: None,
        ..message(&u, &g, at(600), limit)
    };
    assert!(matches!(
        s.send_message(&Arc::new(later(26))).await.unwrap(),
        SendOutcome::Sent { .. }
    ));
    assert_eq!(
        s.send_message(&Arc::new(later(26))).await.unwrap(),
        SendOutcome::LimitReached,
        "the reopened store goes on from the stored count"
    );
    let inbox = s
        .list_messages(&u.appid, &u.openid, None, None, 100)
        .await
        .unwrap();
    assert_eq!(
        inbox.len(),
        25 + 10 + 1,
        "only the counted sends are stored"
    );
}

async fn a_send_is_all_or_nothing(db: TestDb) {
    let s = store(&db).await;
    let (_, u, g) = user_with_grant(&s, GrantKind::Payment).await;
    // The day's limit refuses the second send and leaves its grant use undone.
    assert!(matches!(
        s.send_message(&message(&u, &g, at(1), 1).into())
            .await
            .unwrap(),
        SendOutcome::Sent { .. }
    ));
    assert_eq!(
        s.send_message(&message(&u, &g, at(2), 1).into())
            .await
            .unwrap(),
        SendOutcome::LimitReached
    );
    let tomorrow = at(86_400);
    assert!(matches!(
        s.send_message(&message(&u, &g, tomorrow, 1).into())
            .await
            .unwrap(),
        SendOutcome::Sent { .. }
    ));
    assert!(matches!(
        s.send_message(&message(&u, &g, tomorrow, 5).into())
            .await
            .unwrap(),
        SendOutcome::Sent { .. }
    ));
    assert_eq!(
        s.send_message(&message(&u, &g, tomorrow, 5).into())
            .await
            .unwrap(),
        SendOutcome::GrantUsedUp
    );
    let inbox = s
        .list_messages(&u.appid, &u.openid, None, None, 10)
        .await
        .unwrap();
    assert_eq!(inbox.len(), 3, "refused sends stored nothing");
    // Unknown, another user's, and expired grants.
    let mut other = message(&u, &g, at(3), 5);
    other.openid = OpenId::generate();
    assert_eq!(
        s.send_message(&other.into()).await.unwrap(),
        SendOutcome::GrantUnknown
    );
    let (_, u2, g2) = user_with_grant(&s, GrantKind::FormSubmit).await;
    assert_eq!(
        s.send_message(&message(&u2, &g2, at(7 * 86_400), 5).into())
            .await
            .unwrap(),
        SendOutcome::GrantUnknown
    );
    let mut ghost = message(&u2, &g2, at(5), 5);
    ghost.grant = Some(tidings_engine::GrantId::parse("no-such-grant").unwrap());
    assert_eq!(
        s.send_message(&ghost.into()).await.unwrap(),
        SendOutcome::GrantUnknown
    );
}

/// A send makes events for the webhooks active when it is stored: none
/// before the first is added, none after the last is stopped.
async fn events_follow_the_apps_webhooks(db: TestDb) {
    let s = store(&db).await;
    let (a, u, g) = user_with_grant(&s, GrantKind::Payment).await;
    let sent = |n: i64| {
        let s = s.clone();
        let m = message(&u, &g, at(n), 10);
        async move {
            assert!(matches!(
                s.send_message(&m.into()).await.unwrap(),
                SendOutcome::Sent { .. }
            ));
        }
    };
    sent(1).await;
    let types = [
        "message.accepted".to_owned(),
        "message.delivered".to_owned(),
    ];
    let hook = s
        .create_webhook(
            &a.appid,
            "https://example.com/hook",
            "s3cret",
            &types,
            at(2),
        )
        .await
        .unwrap();
    let deliveries = |s: Arc<dyn Store>| {
        let appid = a.appid.clone();
        async move {
            s.list_deliveries(&appid, hook.id, None, 100)
                .await
                .unwrap()
                .len()
        }
    };
    assert_eq!(
        deliveries(s.clone()).await,
        0,
        "the send before the webhook"
    );
    sent(3).await;
    assert_eq!(deliveries(s.clone()).await, 2, "accepted and delivered");
    assert!(s.delete_webhook(&a.appid, hook.id, at(4)).await.unwrap());
    sent(5).await;
    assert_eq!(deliveries(s.clone()).await, 2, "nothing after the stop");
}

async fn messages_list_newest_first_and_mark_read(db: TestDb) {
    let s = store(&db).await;
    let (_, u, g) = user_with_grant(&s, GrantKind::Payment).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        match s
            .send_message(&message(&u, &g, at(i), 100).into())
            .await
            .unwrap()
        {
            SendOutcome::Sent { id } => ids.push(id),
            other => panic!("{other:?}"),
        }
    }
    let page = s
        .list_messages(&u.appid, &u.openid, None, None, 2)
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|m| m.id).collect::<Vec<_>>(),
        [ids[2], ids[1]]
    );
    let rest = s
        .list_messages(&u.appid, &u.openid, None, Some(ids[1]), 2)
        .await
        .unwrap();
    assert_eq!(rest.iter().map(|m| m.id).collect::<Vec<_>>(), [ids[0]]);
    assert_eq!(rest[0].rows[0].value, "咖啡");
    assert_eq!(rest[0].emphasis, Some(0));
    let read = s
        .mark_read(&u.appid, &u.openid, ids[0], at(50))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.read_at, Some(at(50)));
    let again = s
        .mark_read(&u.appid, &u.openid, ids[0], at(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.read_at, Some(at(50)));
    assert!(s
        .mark_read(&u.appid, &OpenId::generate(), ids[0], at(60))
        .await
        .unwrap()
        .is_none());
}

async fn client_msg_ids_return_the_first_message(db: TestDb) {
    let s = store(&db).await;
    let (_, u, g) = user_with_grant(&s, GrantKind::Payment).await;
    let mut m = message(&u, &g, at(1), 100);
    m.grant = None;
    m.client_msg_id = Some("k1".into());
    let first = s.send_message(&m.clone().into()).await.unwrap();
    assert_eq!(
        s.send_message(&m.clone().into()).await.unwrap(),
        first,
        "same key, same message"
    );
    m.client_msg_id = Some("k2".into());
    m.link_secret = Some(tidings_engine::message::new_link_secret());
    assert_ne!(s.send_message(&m.clone().into()).await.unwrap(), first);
    let stats = s.send_stats(1).await.unwrap();
    assert_eq!(stats.clicks, 0);
    assert_eq!(
        s.list_messages(&u.appid, &u.openid, None, None, 10)
            .await
            .unwrap()
            .len(),
        2
    );
}

/// A message's tracking token names its id and carries its secret: the
/// token finds the message, the same id with another secret finds nothing,
/// and a message without a link has no token.
async fn links_find_their_message_by_its_id_and_secret(db: TestDb) {
    use tidings_engine::message::{link_token, new_link_secret};
    let s = store(&db).await;
    let (_, u, g) = user_with_grant(&s, GrantKind::Payment).await;
    let mut m = message(&u, &g, at(1), 100);
    m.grant = None;
    let SendOutcome::Sent { id } = s.send_message(&m.clone().into()).await.unwrap() else {
        panic!("not sent");
    };
    m.link_secret = None;
    let SendOutcome::Sent { id: plain } = s.send_message(&m.clone().into()).await.unwrap() else {
        panic!("not sent");
    };
    let listed = s
        .list_messages(&u.appid, &u.openid, None, None, 10)
        .await
        .unwrap();
    let (linked, unlinked) = (&listed[1], &listed[0]);
    assert_eq!((linked.id, unlinked.id), (id, plain));
    assert_eq!(unlinked.link_token, None);
    let token = linked.link_token.clone().expect("a page has a link");
    assert_eq!(tidings_engine::message::link_message_id(&token), Some(id));
    let found = s.message_by_link(&token).await.unwrap().unwrap();
    assert_eq!(found.id, id);
    for guessed in [
        link_token(id, &new_link_secret()).unwrap(),
        link_token(plain, &new_link_secret()).unwrap(),
        link_token(plain + 1000, &new_link_secret()).unwrap(),
    ] {
        assert!(
            s.message_by_link(&guessed).await.unwrap().is_none(),
            "{guessed}"
        );
    }
}

async fn marketing_templates_round_trip(db: TestDb) {
    let s = store(&db).await;
    let a = app(AppKind::OfficialAccount);
    s.insert_app(&a).await.unwrap();
    let mut t = tidings_engine::MarketingTemplate {
        id: 0,
        appid: a.appid.clone(),
        wechat_id: "61".into(),
        inner_title: "会议提醒-1".into(),
        title: "会议提醒".into(),
        template_id: TemplateId::generate(),
        content: vec![(
            "keyword1".into(),
            tidings_engine::ContentRow {
                label: "会议名称".into(),
                value: "周会".into(),
                color: Some("#000000".into()),
            },
        )],
        url: String::new(),
        miniprogram: Some(tidings_engine::MiniProgramTarget {
            appid: "wx7a92039c57638182".into(),
            pagepath: "pages/index".into(),
        }),
        tags_id: vec![13348, 15887],
        topcolor: "#FF0000".into(),
        created_at: at(0),
        updated_at: at(0),
    };
    t.id = s.insert_marketing(&t).await.unwrap();
    assert_eq!(
        s.get_marketing(&a.appid, t.id).await.unwrap(),
        Some(t.clone())
    );
    assert_eq!(
        s.get_marketing(&AppId::generate(), t.id).await.unwrap(),
        None,
        "another app's"
    );
    t.inner_title = "周会提醒".into();
    t.updated_at = at(5);
    assert!(s.update_marketing(&t).await.unwrap());
    let (by_tag, total) = s
        .list_marketing(&a.appid, None, Some(15887), 0, 10)
        .await
        .unwrap();
    assert_eq!((by_tag.len(), total), (1, 1));
    assert_eq!(
        s.list_marketing(&a.appid, Some("周会"), None, 0, 10)
            .await
            .unwrap()
            .1,
        1
    );
    assert_eq!(
        s.list_marketing(&a.appid, Some("无此"), None, 0, 10)
            .await
            .unwrap()
            .1,
        0
    );
    assert_eq!(
        s.list_marketing(&a.appid, None, Some(1), 0, 10)
            .await
            .unwrap()
            .1,
        0
    );
    assert!(s.delete_marketing(&a.appid, t.id).await.unwrap());
    assert!(!s.delete_marketing(&a.appid, t.id).await.unwrap());
}

async fn workspace_templates_round_trip(db: TestDb) {
    let s = store(&db).await;
    let a = app(AppKind::Workspace);
    s.insert_app(&a).await.unwrap();
    let draft: tidings_engine::TemplateDraft = serde_json::from_value(serde_json::json!({
        "title": "请假审批", "tags": "人事", "sample": "示例",
        "actions": [{"name": "查看详情", "value": "https://example.com"}],
        "contents": [[{"content": "{{who.DATA}}", "align": "left"}]]
    }))
    .unwrap();
    let mut t = tidings_engine::WorkspaceTemplate {
        id: TemplateId::generate_uuid(),
        appid: a.appid.clone(),
        source_type: tidings_engine::SourceType::Isv,
        draft,
        operator: a.appid.as_str().to_owned(),
        created_at: at(0),
        updated_at: at(0),
    };
    s.insert_ws_template(&t).await.unwrap();
    assert_eq!(s.get_ws_template(&t.id).await.unwrap().as_ref(), Some(&t));
    t.draft.title = "报销提醒".into();
    t.updated_at = at(5);
    assert!(s.update_ws_template(&t).await.unwrap());
    assert_eq!(s.get_ws_template(&t.id).await.unwrap(), Some(t.clone()));
    let mut other = t.clone();
    other.id = TemplateId::generate_uuid();
    other.draft.title = "会议通知".into();
    other.draft.tags = "行政".into();
    s.insert_ws_template(&other).await.unwrap();
    let (all, total) = s.list_ws_templates(&a.appid, None, 0, 10).await.unwrap();
    assert_eq!((all.len(), total), (2, 2));
    assert_eq!(all[0].id, other.id, "newest first");
    let (hits, total) = s
        .list_ws_templates(&a.appid, Some("人事"), 0, 10)
        .await
        .unwrap();
    assert_eq!((hits.len(), total), (1, 1));
    assert_eq!(hits[0].id, t.id);
    let (page, total) = s.list_ws_templates(&a.appid, None, 1, 1).await.unwrap();
    assert_eq!((page.len(), total), (1, 2));
    assert_eq!(page[0].id, t.id);
    let stranger = app(AppKind::Workspace);
    s.insert_app(&stranger).await.unwrap();
    let mut theirs = t.clone();
    theirs.appid = stranger.appid.clone();
    assert!(
        !s.update_ws_template(&theirs).await.unwrap(),
        "another app's id updates nothing"
    );
    assert_eq!(
        s.list_ws_templates(&stranger.appid, None, 0, 10)
            .await
            .unwrap()
            .1,
        0
    );
}

async fn employees_keep_their_org_paths(db: TestDb) {
    let s = store(&db).await;
    let a = app(AppKind::Workspace);
    s.insert_app(&a).await.unwrap();
    let emp = |id: &str, orgs: &[&str]| {
        tidings_engine::employee::parse_employee(
            &a.appid,
            serde_json::json!({"client_id": id, "name": id, "orgs": orgs, "devices": ["IOS"]})
                .as_object()
                .unwrap()
                .clone(),
            at(0),
        )
        .unwrap()
    };
    s.upsert_users(&[
        emp("a", &["/1/"]),
        emp("b", &["/1/2/"]),
        emp("c", &["/1/20/", "/1/2/"]),
    ])
    .await
    .unwrap();
    let scope = |scopes: &[&str], ids: &[&str]| tidings_engine::Audience::Workspace {
        client_ids: ids.iter().map(|i| OpenId::parse(i).unwrap()).collect(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
    };
    let ids = |users: Vec<User>| {
        users
            .into_iter()
            .map(|u| u.openid.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        s.count_audience(&a.appid, &scope(&["/1/2/"], &[]))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        ids(s
            .audience_page(&a.appid, &scope(&["/1/"], &[]), None, 10)
            .await
            .unwrap()),
        ["a", "b", "c"],
        "c is under /1/ twice and listed once"
    );
    assert_eq!(
        ids(s
            .audience_page(&a.appid, &scope(&["/1/2/"], &["a"]), Some("a"), 10)
            .await
            .unwrap()),
        ["b", "c"],
        "keyset paging after a"
    );
    // Moving b out of /1/2/ replaces its paths.
    s.upsert_users(&[emp("b", &["/9/"])]).await.unwrap();
    assert_eq!(
        ids(s
            .audience_page(&a.appid, &scope(&["/1/2/"], &[]), None, 10)
            .await
            .unwrap()),
        ["c"]
    );
    // A plain user upsert (no orgs) leaves the paths alone.
    let mut plain = s
        .get_user(&a.appid, &OpenId::parse("c").unwrap())
        .await
        .unwrap()
        .unwrap();
    plain.profile.remove("orgs");
    s.upsert_users(&[plain]).await.unwrap();
    assert_eq!(
        s.count_audience(&a.appid, &scope(&["/1/2/"], &[]))
            .await
            .unwrap(),
        1
    );
    assert!(s
        .delete_user(&a.appid, &OpenId::parse("c").unwrap())
        .await
        .unwrap());
    assert!(!s
        .delete_user(&a.appid, &OpenId::parse("c").unwrap())
        .await
        .unwrap());
    assert_eq!(
        s.count_audience(&a.appid, &scope(&["/1/"], &[]))
            .await
            .unwrap(),
        1
    );
}

async fn library_search_matches_part_of_a_title(db: TestDb) {
    let s = store(&db).await;
    let lib = builtin_library();
    s.load_library(&lib).await.unwrap();
    let expected: Vec<_> = lib.iter().filter(|t| t.title.contains("订单")).collect();
    assert!(expected.len() > 1 && expected.len() < lib.len());
    let (page, total) = s.library_page(0, 100, "订单").await.unwrap();
    assert_eq!(total, expected.len() as u64);
    assert_eq!(
        page.iter().map(|t| &t.id).collect::<Vec<_>>(),
        expected.iter().map(|t| &t.id).collect::<Vec<_>>()
    );
    let (second, _) = s.library_page(1, 1, "订单").await.unwrap();
    assert_eq!(second[0].id, expected[1].id, "pages within the matches");
    let (none, zero) = s.library_page(0, 10, "没有这样的标题").await.unwrap();
    assert!(none.is_empty());
    assert_eq!(zero, 0);
    // LIKE wildcards are plain characters here.
    assert_eq!(s.library_page(0, 10, "%").await.unwrap().1, 0);
}

async fn send_timelines_count_per_bucket(db: TestDb) {
    let s = store(&db).await;
    let (_, u, g) = user_with_grant(&s, GrantKind::Payment).await;
    let mut m = message(&u, &g, at(5), 100);
    m.link_secret = Some(tidings_engine::message::new_link_secret());
    let SendOutcome::Sent { id } = s.send_message(&m.clone().into()).await.unwrap() else {
        panic!("not sent");
    };
    let stored = s
        .list_messages(&u.appid, &u.openid, None, None, 1)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(stored.id, id);
    let send_id = stored.send_id.expect("a single send has a record");
    s.mark_read(&u.appid, &u.openid, id, at(70)).await.unwrap();
    s.record_click(&stored, "pages/index/index", None, at(130))
        .await
        .unwrap();
    s.record_click(&stored, "pages/index/index", None, at(131))
        .await
        .unwrap();
    let minute = |secs: i64| at(secs).as_millis() / 60_000 * 60_000;
    let buckets = s.send_timeline(send_id, 60_000, 100).await.unwrap();
    let seen: Vec<_> = buckets
        .iter()
        .map(|b| (b.at, b.sent, b.read, b.clicked))
        .collect();
    assert_eq!(
        seen,
        [
            (minute(5), 1, 0, 0),
            (minute(70), 0, 1, 0),
            (minute(130), 0, 0, 1)
        ],
        "a second click does not count twice"
    );
    let day = s.send_timeline(send_id, 86_400_000, 100).await.unwrap();
    assert_eq!(day.len(), 1);
    assert_eq!((day[0].sent, day[0].read, day[0].clicked), (1, 1, 1));
    assert_eq!(s.send_timeline(send_id, 60_000, 2).await.unwrap().len(), 2);
    assert!(s
        .send_timeline(send_id + 1000, 60_000, 10)
        .await
        .unwrap()
        .is_empty());
}

async fn inbox_passes_are_found_by_hash(db: TestDb) {
    let s = store(&db).await;
    let (_, u, _) = user_with_grant(&s, GrantKind::Payment).await;
    let token = AccessToken::generate();
    let pass = tidings_engine::InboxPass {
        hash: token.hash(),
        appid: u.appid.clone(),
        openid: u.openid.clone(),
        created_at: at(0),
        expires_at: at(3600),
    };
    s.insert_inbox_pass(&pass).await.unwrap();
    assert_eq!(
        s.inbox_pass(&token.hash()).await.unwrap(),
        Some(pass.clone())
    );
    assert_eq!(
        s.inbox_pass(&AccessToken::generate().hash()).await.unwrap(),
        None
    );
    assert!(matches!(
        s.insert_inbox_pass(&pass).await,
        Err(StoreError::Conflict(_))
    ));
}

/// A chunk of `send` starting after `from`, to the given recipients.
fn chunk_of(
    send: &tidings_engine::SendRecord,
    from: Option<&str>,
    openids: &[&str],
    done: bool,
) -> Chunk {
    Chunk {
        send: send.clone(),
        messages: openids
            .iter()
            .map(|o| ChunkMessage {
                openid: OpenId::parse(o).unwrap(),
                rows: vec![Row {
                    key: "keyword1".into(),
                    name: "物品".into(),
                    value: format!("{o}的咖啡"),
                    color: None,
                }],
                emphasis: None,
                link_secret: None,
                failed_reason: None,
                platforms: Vec::new(),
            })
            .collect(),
        from: from.map(str::to_owned),
        cursor: openids.last().map(|o| (*o).to_owned()),
        done,
        now: at(1),
        lease_until: at(60),
    }
}

fn now_its_turn() -> Turn {
    Box::pin(std::future::ready(()))
}

/// Chunks of a send may commit side by side, but each lands only onto the
/// cursor it starts after: none out of order, none twice, none after a gap.
async fn chunks_land_only_onto_their_predecessor(db: TestDb) {
    let s = store(&db).await;
    let a = app(AppKind::Miniprogram);
    s.insert_app(&a).await.unwrap();
    let spec = serde_json::from_value(serde_json::json!({"audience": {"all": true}})).unwrap();
    let send = s
        .create_send(&NewSend {
            appid: a.appid.clone(),
            template_id: TemplateId::generate(),
            title: "到货提醒".into(),
            spec,
            expects: 4,
            created_at: at(0),
            lease: Some(("claim-1".into(), at(60))),
            marketing_hits: 0,
        })
        .await
        .unwrap();
    let commit = |c: Chunk| {
        let s = s.clone();
        async move { s.commit_chunk(&c, now_its_turn()).await.unwrap() }
    };
    // The second chunk before the first: it lands nothing.
    let second = chunk_of(&send, Some("u2"), &["u3", "u4"], true);
    assert_eq!(commit(second.clone()).await, ChunkOutcome::LeaseLost);
    assert!(s
        .list_recipients(send.id, None, None, 10)
        .await
        .unwrap()
        .is_empty());
    let first = chunk_of(&send, None, &["u1", "u2"], false);
    assert_eq!(
        commit(first.clone()).await,
        ChunkOutcome::Committed { oks: 2, fails: 0 }
    );
    // The first again: its place is taken.
    assert_eq!(commit(first).await, ChunkOutcome::LeaseLost);
    assert_eq!(
        commit(second).await,
        ChunkOutcome::Committed { oks: 2, fails: 0 }
    );
    let got: Vec<String> = s
        .list_recipients(send.id, None, None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|m| format!("{} {}", m.openid.as_str(), m.rows[0].value))
        .collect();
    assert_eq!(
        got,
        ["u1 u1的咖啡", "u2 u2的咖啡", "u3 u3的咖啡", "u4 u4的咖啡"]
    );
    let done = s.get_send(send.id).await.unwrap().unwrap();
    assert_eq!((done.oks, done.fails), (4, 0));
    assert_eq!(done.state, tidings_engine::SendState::Finished);
}
