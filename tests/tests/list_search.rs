//! Searching the project list: by code, title, executor or community,
//! without regard to case, and by a range of signing dates.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Client, Server, whole_list};

async fn ids(staff: &Client, query: &str) -> Vec<String> {
    let page = staff.get(&format!("/api/v1/projects?{query}")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    page.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_list_is_searched_by_code_title_executor_and_signing_dates() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let first = staff.sign_seed(Some("JT-2022-07")).await;
    let second = staff.sign_seed(Some("JT-2023-11")).await;
    assert_eq!(whole_list(&staff).await.len(), 2);

    assert_eq!(ids(&staff, "q=jt-2023").await, vec![second.clone()]);
    assert_eq!(
        ids(&staff, "q=JT-20").await,
        vec![first.clone(), second.clone()]
    );
    // The seed's title, executor and community, in Chinese.
    assert_eq!(ids(&staff, "q=%E5%B0%8F%E6%B0%B4%E6%BB%B4").await.len(), 2);
    assert_eq!(ids(&staff, "q=no-such-thing").await, Vec::<String>::new());
    // The seed is signed on 2022-05-11.
    assert_eq!(
        ids(&staff, "signed_from=2022-05-11&signed_to=2022-05-11")
            .await
            .len(),
        2
    );
    assert_eq!(
        ids(&staff, "signed_from=2022-05-12").await,
        Vec::<String>::new()
    );
    let bad = staff.get("/api/v1/projects?signed_to=2022-13-01").await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json["parameter"], "signed_to");
}
