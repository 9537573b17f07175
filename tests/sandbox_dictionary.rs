//! The sandbox's dictionary, spoken to over HTTP as any client would: the
//! types and the children they accept, the bulktree (matched by technical
//! name and type under one parent, atomic, refusals naming the node's
//! path), and the three listings with their paths.

use dg_import::sandbox::Variant;
use serde_json::{Value, json};

use crate::sandbox_api::{Api, json_of};

/// A source with one schema, a table and a view of one name, and two columns.
fn tree() -> Value {
    json!({"name": "Sales DWH", "technicalName": "sales_dwh", "type": "Relational",
     "children": [{"name": "dbo", "type": "Model",
       "children": [
         {"name": "customers", "type": "Table", "description": "One row per customer",
          "children": [
            {"name": "email", "type": "Column", "columnDataType": "VariableString",
             "size": 320, "isMandatory": true, "order": 2, "owners": ["jane.doe@example.com"]},
            {"name": "id", "type": "Column", "columnDataType": "Integer", "isPrimaryKey": true,
             "order": 1}]},
         {"name": "customers", "type": "View",
          "children": [{"name": "email", "type": "Column"}]}]}]})
}

async fn send(api: &Api, body: Value) -> (u16, Value) {
    let path = format!("/sources/bulktree/{}", api.version());
    json_of(api.post(&path, body).await).await
}

async fn listed(api: &Api, kind: &str, extra: &str) -> Vec<Value> {
    let path = format!("/{kind}?versionId={}&limit=5000{extra}", api.version());
    let (status, body) = json_of(api.get(&path).await).await;
    assert_eq!(status, 200, "{body}");
    body["results"].as_array().unwrap().clone()
}

#[tokio::test]
async fn each_kind_lists_its_types_with_the_children_they_accept() {
    let api = Api::new(|_| {}).await;
    let (_, sources) = json_of(api.get("/sources/types").await).await;
    let relational = sources
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == "Relational");
    assert_eq!(relational.unwrap()["compatibleChildren"], json!(["Model"]));
    let (_, containers) = json_of(api.get("/containers/types").await).await;
    let model = containers
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == "Model");
    assert!(
        model.unwrap()["compatibleChildren"]
            .as_array()
            .unwrap()
            .contains(&json!("Table"))
    );
    let (_, structures) = json_of(api.get("/structures/types").await).await;
    assert!(
        structures
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["type"] == "View")
    );
    let (_, fields) = json_of(api.get("/fields/types").await).await;
    let names: Vec<&Value> = fields
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["type"])
        .collect();
    assert_eq!(names, [&json!("Column"), &json!("Field")]);
    assert!(fields[0].get("compatibleChildren").is_none());
}

#[tokio::test]
async fn a_tree_is_created_once_listed_with_its_paths_and_sent_again_changes_nothing() {
    let api = Api::new(|_| {}).await;
    let (status, counts) = send(&api, tree()).await;
    assert_eq!(status, 200, "{counts}");
    assert_eq!(
        counts,
        json!({"total": 7, "created": 7, "updated": 0, "deleted": 0, "unchanged": 0})
    );
    let fields = listed(&api, "fields", "&includeAttributes=true").await;
    assert_eq!(fields.len(), 3);
    let email = fields
        .iter()
        .find(|f| {
            f["path"] == "\\sales_dwh\\dbo\\customers\\email"
                && f["typePath"] == "\\Relational\\Model\\Table\\Column"
        })
        .unwrap();
    assert_eq!(
        email["functionalPath"],
        "\\Sales DWH\\dbo\\customers\\email"
    );
    assert_eq!(email["dataType"], "Field");
    assert_eq!(email["attributes"]["columnDataType"], "VariableString");
    assert_eq!(email["attributes"]["size"], 320);
    assert_eq!(
        email["attributes"]["owners"],
        json!(["jane.doe@example.com"])
    );
    let structures = listed(&api, "structures", "").await;
    assert_eq!(structures.len(), 2, "a table and a view share a name");
    let table = structures.iter().find(|s| s["type"] == "Table").unwrap();
    let parent = format!("&parentId={}", table["id"].as_str().unwrap());
    assert_eq!(listed(&api, "fields", &parent).await.len(), 2);
    assert!(listed(&api, "containers", &parent).await.is_empty());

    let (_, again) = send(&api, tree()).await;
    assert_eq!(
        again,
        json!({"total": 7, "created": 0, "updated": 0, "deleted": 0, "unchanged": 7})
    );
    assert_eq!(listed(&api, "fields", "").await.len(), 3);
}

#[tokio::test]
async fn a_branch_sent_with_its_chain_updates_only_what_it_carries() {
    let api = Api::new(|_| {}).await;
    send(&api, tree()).await;
    let branch = json!({"name": "Sales DWH", "technicalName": "sales_dwh", "type": "Relational",
      "children": [{"name": "dbo", "type": "Model", "children": [
        {"name": "customers", "type": "Table", "children": [
          {"name": "email", "type": "Column", "description": "Login address"},
          {"name": "phone", "type": "Column", "columnDataType": "FixedString", "size": 20}]}]}]});
    let (status, counts) = send(&api, branch).await;
    assert_eq!(status, 200, "{counts}");
    assert_eq!(counts["created"], 1);
    assert_eq!(counts["updated"], 1);
    assert_eq!(counts["unchanged"], 3, "the source and the chain: {counts}");
    let fields = listed(&api, "fields", "&includeAttributes=true").await;
    let email = fields
        .iter()
        .find(|f| {
            f["typePath"] == "\\Relational\\Model\\Table\\Column" && f["technicalName"] == "email"
        })
        .unwrap();
    assert_eq!(email["attributes"]["description"], "Login address");
    assert_eq!(
        email["attributes"]["columnDataType"], "VariableString",
        "left out, kept"
    );
    let table = listed(&api, "structures", "&includeAttributes=true").await;
    let table = table.iter().find(|s| s["type"] == "Table").unwrap();
    assert_eq!(table["attributes"]["description"], "One row per customer");
}

#[tokio::test]
async fn a_bad_node_refuses_the_whole_tree_naming_its_path_and_field() {
    let api = Api::new(|_| {}).await;
    let cases = [
        (
            "/children/0/children/0/children/0/type",
            json!("Colum"),
            "\\sales_dwh\\dbo\\customers\\email: type 'Colum'",
        ),
        (
            "/children/0/children/0/type",
            json!("Column"),
            "\\sales_dwh\\dbo\\customers: type 'Column' cannot be a child of a Model",
        ),
        (
            "/children/0/children/0/children/0/owners",
            json!(["nobody@example.com"]),
            "\\sales_dwh\\dbo\\customers\\email: owners: unknown user 'nobody@example.com'",
        ),
        (
            "/children/0/children/0/children/0/columnDataType",
            json!("Text"),
            "\\sales_dwh\\dbo\\customers\\email: columnDataType",
        ),
        (
            "/children/0/children/0/size",
            json!(3),
            "\\sales_dwh\\dbo\\customers: size: only fields carry it",
        ),
        (
            "/children/0/children/0/Data Domain",
            json!("Sales"),
            "\\sales_dwh\\dbo\\customers: 'Data Domain': unknown attribute of a structure",
        ),
    ];
    for (pointer, value, said) in cases {
        let mut body = tree();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        body.pointer_mut(parent).unwrap()[key] = value;
        let (status, answer) = send(&api, body).await;
        assert_eq!(status, 400, "{pointer}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(said), "{pointer}: {message}");
        assert!(
            listed(&api, "containers", "").await.is_empty(),
            "{pointer}: atomic"
        );
    }
    let (status, _) = send(
        &api,
        json!({"name": "alone", "type": "Relational", "children": []}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        api.sandbox
            .sources()
            .iter()
            .all(|s| s.technical_name != "sales_dwh")
    );
}

#[tokio::test]
async fn under_the_variants_a_tree_answers_201_applies_part_before_a_refusal_and_lists_no_type_paths()
 {
    let api = Api::new(|c| {
        c.variants.extend([
            Variant::TreeCreated,
            Variant::TreeNotAtomic,
            Variant::NoTypePaths,
        ]);
    })
    .await;
    let mut body = tree();
    body["children"][0]["children"][1]["type"] = json!("Tabel");
    let (status, _) = send(&api, body).await;
    assert_eq!(status, 400);
    let fields = listed(&api, "fields", "").await;
    assert_eq!(
        fields.len(),
        2,
        "the table's columns were applied before the refusal"
    );
    assert!(fields[0].get("typePath").is_none() && fields[0]["path"].is_string());
    let (status, _) = send(&api, tree()).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn the_attributes_of_fields_are_the_common_ones_and_the_field_ones() {
    let api = Api::new(|_| {}).await;
    let (_, defs) = json_of(api.get("/attributes?dataType=field").await).await;
    let keys: Vec<&str> = defs
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["attributeKey"].as_str().unwrap())
        .collect();
    for key in [
        "name",
        "owners",
        "columnDataType",
        "size",
        "isPrimaryKey",
        "order",
    ] {
        assert!(keys.contains(&key), "{key}: {keys:?}");
    }
    assert!(
        defs.as_array()
            .unwrap()
            .iter()
            .all(|d| d["dataType"] == "Field")
    );
    let (_, defs) = json_of(api.get("/attributes?dataType=container").await).await;
    assert!(
        !defs
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["attributeKey"] == "size")
    );
}

#[tokio::test]
async fn a_tree_of_more_than_250000_nodes_is_refused_whole_saying_its_count() {
    let api = Api::new(|_| {}).await;
    let columns: Vec<Value> = (0..249_998)
        .map(|i| json!({"name": format!("c{i}"), "type": "Column"}))
        .collect();
    let tree = |columns: &[Value]| {
        json!({"name": "wide", "type": "Relational", "children": [{"name": "m", "type": "Model",
            "children": [{"name": "t", "type": "Table", "children": columns}]}]})
    };
    // 249,998 columns, a table, a schema and the source: one node too many.
    let (status, answer) = send(&api, tree(&columns)).await;
    assert_eq!(status, 400, "{answer}");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(message.contains("250001 nodes"), "{message}");
    assert!(listed(&api, "containers", "").await.is_empty());
    let (status, counts) = send(&api, tree(&columns[1..])).await;
    assert_eq!(status, 200);
    assert_eq!(counts["total"], 250_000);
}
