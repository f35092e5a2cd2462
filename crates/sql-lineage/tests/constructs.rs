//! One test per SQL construct: the lineage a user of the dbt connector gets.

use sql_lineage::{Analysis, Dialect, LineageError, RelationName, analyze};

/// A small warehouse: `raw.orders`, `raw.customers`, `raw.items`, `raw.events`
/// (with a struct column). Anything else is unknown to the catalog.
fn catalog(relation: &RelationName) -> Option<Vec<String>> {
    let columns: &[&str] = match relation.name.as_str() {
        "orders" => &["id", "customer_id", "amount", "status", "ordered_at"],
        "customers" => &["id", "name", "email", "tier"],
        "items" => &["id", "order_id", "price", "quantity"],
        "events" => &["id", "payload", "tags"],
        _ => return None,
    };
    Some(columns.iter().map(|c| c.to_string()).collect())
}

fn run(sql: &str) -> Analysis {
    analyze(sql, Dialect::Generic, &catalog).unwrap_or_else(|e| panic!("{e}\n{sql}"))
}

/// `column <- rel.col, rel.col` per output column, then the unresolved ones.
fn lines(analysis: &Analysis) -> Vec<String> {
    let mut out: Vec<String> = analysis
        .columns
        .iter()
        .map(|c| {
            let sources: Vec<String> = c.sources.iter().map(|s| s.to_string()).collect();
            format!("{} <- {}", c.column, sources.join(", "))
        })
        .collect();
    if !analysis.unresolved.is_empty() {
        out.push(format!("unresolved: {}", analysis.unresolved.join(", ")));
    }
    out
}

fn lineage(sql: &str) -> Vec<String> {
    lines(&run(sql))
}

#[test]
fn plain_columns_and_aliases() {
    assert_eq!(
        lineage("select id, amount as total, raw.orders.status from raw.orders"),
        [
            "id <- raw.orders.id",
            "total <- raw.orders.amount",
            "status <- raw.orders.status"
        ]
    );
}

#[test]
fn quoted_three_part_names_keep_their_spelling() {
    let analysis = run(
        r#"select "o"."ID", o."Status" as "Status" from "awsdatacatalog"."raw"."orders" as "o""#,
    );
    assert_eq!(
        analysis.relations,
        [RelationName {
            database: Some("awsdatacatalog".into()),
            schema: Some("raw".into()),
            name: "orders".into(),
        }]
    );
    // Matched ignoring case; reported as the catalog spells the column.
    assert_eq!(
        lines(&analysis),
        [
            "ID <- awsdatacatalog.raw.orders.id",
            "Status <- awsdatacatalog.raw.orders.status"
        ]
    );
}

#[test]
fn joins_with_aliases_and_unqualified_columns() {
    // `name` and `amount` are in one relation each; `id` is qualified.
    assert_eq!(
        lineage(
            "select o.id, name, amount, c.tier from raw.orders o \
             left join raw.customers as c on c.id = o.customer_id"
        ),
        [
            "id <- raw.orders.id",
            "name <- raw.customers.name",
            "amount <- raw.orders.amount",
            "tier <- raw.customers.tier"
        ]
    );
}

#[test]
fn ambiguous_or_unknown_columns_are_unresolved() {
    assert_eq!(
        lineage(
            "select id, nope, amount from raw.orders o join raw.customers c on c.id = o.customer_id"
        ),
        [
            "id <- ",
            "nope <- ",
            "amount <- raw.orders.amount",
            "unresolved: id, nope"
        ]
    );
    // A qualified column the catalog does not list.
    assert_eq!(
        lineage("select o.nope from raw.orders o"),
        ["nope <- ", "unresolved: nope"]
    );
}

#[test]
fn table_qualified_by_name_and_by_name_suffix() {
    assert_eq!(
        lineage("select orders.id, raw.orders.amount from raw.orders"),
        ["id <- raw.orders.id", "amount <- raw.orders.amount"]
    );
}

#[test]
fn expressions_combine_their_columns() {
    assert_eq!(
        lineage(
            "select i.price * i.quantity as line, \
             coalesce(sum(i.price), 0) + max(o.amount) as mixed, \
             cast(o.ordered_at as date) as day, \
             case when o.status = 'done' then i.quantity else 0 end as done_qty, \
             upper(trim(c.name)) || '-' || c.email as label \
             from raw.items i join raw.orders o on o.id = i.order_id \
             join raw.customers c on c.id = o.customer_id"
        ),
        [
            "line <- raw.items.price, raw.items.quantity",
            "mixed <- raw.items.price, raw.orders.amount",
            "day <- raw.orders.ordered_at",
            "done_qty <- raw.items.quantity, raw.orders.status",
            "label <- raw.customers.email, raw.customers.name"
        ]
    );
}

#[test]
fn count_star_and_literals_have_no_sources_and_are_resolved() {
    assert_eq!(
        lineage(
            "select count(*) as n, 1 as one, 'x' as s, current_date as today, null as nothing from raw.orders"
        ),
        ["n <- ", "one <- ", "s <- ", "today <- ", "nothing <- "]
    );
}

#[test]
fn unaliased_expression_is_named_by_its_text() {
    assert_eq!(
        lineage("select count(id), amount + 1 from raw.orders"),
        [
            "count(id) <- raw.orders.id",
            "amount + 1 <- raw.orders.amount"
        ]
    );
}

#[test]
fn star_expands_from_the_catalog_in_from_order() {
    assert_eq!(
        lineage("select * from raw.orders o join raw.customers c on c.id = o.customer_id"),
        [
            "id <- raw.orders.id",
            "customer_id <- raw.orders.customer_id",
            "amount <- raw.orders.amount",
            "status <- raw.orders.status",
            "ordered_at <- raw.orders.ordered_at",
            "id <- raw.customers.id",
            "name <- raw.customers.name",
            "email <- raw.customers.email",
            "tier <- raw.customers.tier"
        ]
    );
}

#[test]
fn qualified_star_and_star_modifiers() {
    assert_eq!(
        lineage(
            "select c.*, o.amount from raw.orders o join raw.customers c on c.id = o.customer_id"
        ),
        [
            "id <- raw.customers.id",
            "name <- raw.customers.name",
            "email <- raw.customers.email",
            "tier <- raw.customers.tier",
            "amount <- raw.orders.amount"
        ]
    );
    assert_eq!(
        lineage("select * exclude (email, tier) replace (upper(name) as name) from raw.customers"),
        ["id <- raw.customers.id", "name <- raw.customers.name"]
    );
}

#[test]
fn star_over_an_unknown_table_is_unresolved_but_its_columns_trace() {
    // The catalog does not know `raw.mystery`: `*` cannot be listed, yet a
    // column picked from it later still traces back.
    let analysis = run("with m as (select * from raw.mystery) select m.colour, * from m");
    assert_eq!(
        lines(&analysis),
        ["colour <- raw.mystery.colour", "unresolved: *"]
    );
}

#[test]
fn using_join_columns_belong_to_both_sides() {
    assert_eq!(
        lineage("select id, name, price from raw.customers join raw.items using (id)"),
        [
            "id <- raw.customers.id, raw.items.id",
            "name <- raw.customers.name",
            "price <- raw.items.price"
        ]
    );
    let star = lineage("select * from raw.customers join raw.items using (id)");
    assert_eq!(star[0], "id <- raw.customers.id, raw.items.id");
    assert_eq!(star.len(), 7, "{star:?}");
}

#[test]
fn ctes_chained_and_dbt_ephemeral() {
    assert_eq!(
        lineage(
            "with __dbt__cte__order_totals as ( \
               select customer_id, sum(amount) as total from raw.orders group by 1 \
             ), ranked as ( \
               select customer_id as cid, total * 2 as doubled from __dbt__cte__order_totals \
             ) \
             select c.name, r.doubled from ranked r join raw.customers c on c.id = r.cid"
        ),
        ["name <- raw.customers.name", "doubled <- raw.orders.amount"]
    );
}

#[test]
fn cte_shadows_a_table_and_is_not_a_relation() {
    let analysis =
        run("with orders as (select id, amount from raw.items) select amount from orders");
    assert_eq!(lines(&analysis), ["amount <- ", "unresolved: amount"]);
    // `raw.items` has no `amount`: the CTE column is unresolved, so is the output.
    assert_eq!(analysis.unresolved, ["amount"]);
    assert_eq!(analysis.relations.len(), 1);
    assert_eq!(analysis.relations[0].name, "items");
}

#[test]
fn cte_column_list_renames_by_position() {
    assert_eq!(
        lineage("with t(a, b) as (select id, amount from raw.orders) select b, a from t"),
        ["b <- raw.orders.amount", "a <- raw.orders.id"]
    );
}

#[test]
fn subqueries_in_from_and_lateral() {
    assert_eq!(
        lineage(
            "select s.total, s.customer_id from ( \
               select customer_id, sum(amount) as total from (select * from raw.orders) x group by customer_id \
             ) as s"
        ),
        [
            "total <- raw.orders.amount",
            "customer_id <- raw.orders.customer_id"
        ]
    );
    assert_eq!(
        lineage(
            "select c.name, l.last_amount from raw.customers c, \
             lateral (select max(o.amount) as last_amount from raw.orders o where o.customer_id = c.id) l"
        ),
        [
            "name <- raw.customers.name",
            "last_amount <- raw.orders.amount"
        ]
    );
}

#[test]
fn scalar_and_correlated_subqueries_in_the_select_list() {
    assert_eq!(
        lineage(
            "select c.name, (select count(*) from raw.orders o where o.customer_id = c.id) as n, \
             (select max(o.amount) from raw.orders o where o.customer_id = c.id) as top \
             from raw.customers c"
        ),
        [
            "name <- raw.customers.name",
            "n <- ",
            "top <- raw.orders.amount"
        ]
    );
}

#[test]
fn relations_in_filters_are_read_but_feed_no_column() {
    let analysis = run(
        "select id from raw.customers where id in (select customer_id from raw.orders) \
         and exists (select 1 from raw.items)",
    );
    assert_eq!(lines(&analysis), ["id <- raw.customers.id"]);
    let names: Vec<String> = analysis.relations.iter().map(|r| r.to_string()).collect();
    assert_eq!(names, ["raw.customers", "raw.items", "raw.orders"]);
}

#[test]
fn struct_field_access_reads_the_struct_column() {
    assert_eq!(
        lineage(
            "select payload.device.os as os, e.payload.user_id, e.tags[1] as first_tag, \
             payload['k'] as k from raw.events e"
        ),
        [
            "os <- raw.events.payload",
            "user_id <- raw.events.payload",
            "first_tag <- raw.events.tags",
            "k <- raw.events.payload"
        ]
    );
}

#[test]
fn union_takes_each_branch_by_position() {
    assert_eq!(
        lineage(
            "select id, amount as value from raw.orders \
             union all select id, price from raw.items \
             union select customer_id, 0 from raw.orders"
        ),
        [
            "id <- raw.items.id, raw.orders.customer_id, raw.orders.id",
            "value <- raw.items.price, raw.orders.amount"
        ]
    );
    assert_eq!(
        lineage("select id from raw.orders except select id from raw.items"),
        ["id <- raw.orders.id"]
    );
}

#[test]
fn union_by_name_matches_names() {
    let analysis = analyze(
        "select id, amount from raw.orders union all by name select price as amount, id from raw.items",
        Dialect::DuckDb,
        &catalog,
    )
    .unwrap();
    assert_eq!(
        lines(&analysis),
        [
            "id <- raw.items.id, raw.orders.id",
            "amount <- raw.items.price, raw.orders.amount"
        ]
    );
}

#[test]
fn window_functions_read_arguments_partition_and_order() {
    assert_eq!(
        lineage(
            "select row_number() over (partition by customer_id order by ordered_at) as rn, \
             sum(amount) over w as running, \
             lag(status) over (w order by id) as prev \
             from raw.orders window w as (partition by customer_id)"
        ),
        [
            "rn <- raw.orders.customer_id, raw.orders.ordered_at",
            "running <- raw.orders.amount, raw.orders.customer_id",
            "prev <- raw.orders.customer_id, raw.orders.id, raw.orders.status"
        ]
    );
}

#[test]
fn lambda_parameters_are_not_columns() {
    let sql = "select transform(tags, t -> upper(t) || id) as up from raw.events";
    for dialect in [Dialect::Athena, Dialect::DuckDb, Dialect::Spark] {
        let analysis = analyze(sql, dialect, &catalog).unwrap();
        assert_eq!(
            lines(&analysis),
            ["up <- raw.events.id, raw.events.tags"],
            "{dialect:?}"
        );
    }
}

#[test]
fn unnest_columns_come_from_the_array() {
    assert_eq!(
        lineage("select e.id, t.tag from raw.events e cross join unnest(e.tags) as t(tag)"),
        ["id <- raw.events.id", "tag <- raw.events.tags"]
    );
}

#[test]
fn earlier_select_aliases_can_be_reused() {
    assert_eq!(
        lineage("select amount * 2 as doubled, doubled + 1 as more from raw.orders"),
        ["doubled <- raw.orders.amount", "more <- raw.orders.amount"]
    );
}

#[test]
fn recursive_cte() {
    assert_eq!(
        lineage(
            "with recursive chain as (select id, customer_id as parent from raw.orders \
             union all select c.id, ch.parent from chain ch join raw.customers c on c.id = ch.id) \
             select parent from chain"
        ),
        ["parent <- raw.orders.customer_id"]
    );
}

#[test]
fn unknown_tables_take_columns_as_written() {
    assert_eq!(
        lineage("select x.a, b from lake.unknown x"),
        ["a <- lake.unknown.a", "b <- lake.unknown.b"]
    );
}

#[test]
fn output_is_deterministic() {
    let sql = "select o.amount + i.price + c.tier as x, * from raw.orders o \
               join raw.items i on i.order_id = o.id join raw.customers c on c.id = o.customer_id";
    let first = run(sql);
    for _ in 0..20 {
        assert_eq!(run(sql), first);
    }
}

#[test]
fn catalog_is_asked_once_per_relation() {
    let calls = std::cell::Cell::new(0);
    let counting = |relation: &RelationName| {
        calls.set(calls.get() + 1);
        catalog(relation)
    };
    analyze(
        "select * from raw.orders a join RAW.ORDERS b on a.id = b.id join raw.orders c on c.id = a.id",
        Dialect::Generic,
        &counting,
    )
    .unwrap();
    assert_eq!(calls.get(), 1);
}

#[test]
fn dialect_names_map() {
    assert_eq!(Dialect::from_dbt_adapter_type("athena"), Dialect::Athena);
    assert_eq!(Dialect::from_dbt_adapter_type("DuckDB"), Dialect::DuckDb);
    assert_eq!(Dialect::from_dbt_adapter_type("glue"), Dialect::Spark);
    assert_eq!(
        Dialect::from_dbt_adapter_type("something-new"),
        Dialect::Generic
    );
    assert_eq!(Dialect::from_service_type("Glue"), Dialect::Athena);
    assert_eq!(Dialect::from_service_type("Redshift"), Dialect::Redshift);
}

#[test]
fn dialects_parse_their_own_quoting() {
    let spark = analyze(
        "select `o`.`id` from `raw`.`orders` `o`",
        Dialect::Spark,
        &catalog,
    )
    .unwrap();
    assert_eq!(lines(&spark), ["id <- raw.orders.id"]);
    let athena = analyze(
        r#"select try_cast("o"."id" as varchar) as id from "raw"."orders" "o""#,
        Dialect::Athena,
        &catalog,
    )
    .unwrap();
    assert_eq!(lines(&athena), ["id <- raw.orders.id"]);
}

#[test]
fn parse_errors_carry_sqlparser_message() {
    let err = analyze("select from where", Dialect::Generic, &catalog).unwrap_err();
    let LineageError::Parse(message) = &err else {
        panic!("{err:?}");
    };
    assert!(message.contains("Line: 1"), "{message}");
    assert!(matches!(
        analyze("select 'unterminated", Dialect::Generic, &catalog),
        Err(LineageError::Parse(_))
    ));
}

#[test]
fn only_one_query_statement() {
    assert_eq!(
        analyze("select 1; select 2", Dialect::Generic, &catalog),
        Err(LineageError::StatementCount(2))
    );
    assert_eq!(
        analyze("", Dialect::Generic, &catalog),
        Err(LineageError::StatementCount(0))
    );
    assert_eq!(
        analyze("delete from raw.orders", Dialect::Generic, &catalog),
        Err(LineageError::NotAQuery)
    );
    // A trailing semicolon is fine.
    assert!(analyze("select 1 as x;", Dialect::Generic, &catalog).is_ok());
}

/// Runs `f` on a thread with a 2 MiB stack (tokio's and the test harness's
/// default), where a recursion that is not bounded would overflow.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let cases = [
        format!("select {}1{} as x", "(".repeat(10_000), ")".repeat(10_000)),
        format!("select {}1{} as x", "f(".repeat(10_000), ")".repeat(10_000)),
        format!(
            "select * from {}raw.orders{}",
            "(select * from ".repeat(10_000),
            ")".repeat(10_000)
        ),
        format!(
            "select {}1{} as x",
            "case when 1 then ".repeat(10_000),
            " end".repeat(10_000)
        ),
        format!("select {}1 as x", "not ".repeat(10_000)),
        format!("select 1{} as x", " + 1".repeat(100_000)),
        format!("select x{} as y from t", "::int".repeat(100_000)),
        format!("select 1 as x{}", " union all select 1".repeat(100_000)),
        format!(
            "select {}1{} as x",
            "(1 + 1 + 1 + 1 + ".repeat(5_000),
            ")".repeat(5_000)
        ),
    ];
    for sql in cases {
        let head: String = sql.chars().take(40).collect();
        let result =
            on_small_stack(move || analyze(&sql, Dialect::Generic, &|_: &RelationName| None));
        match result {
            Err(LineageError::TooDeep { .. }) => {}
            Err(LineageError::Parse(message)) => {
                assert!(message.contains("recursion limit"), "{head}: {message}")
            }
            other => panic!("{head}: {other:?}"),
        }
    }
}

#[test]
fn nesting_up_to_the_parser_limit_is_safe() {
    // Every depth up to and past sqlparser's recursion limit: analysed, or a
    // recursion-limit error; never a stack overflow.
    let mut deepest_ok = [0usize; 4];
    for depth in (5..=80).step_by(5) {
        let cases = [
            format!(
                "select * from {}raw.orders{}",
                "(select * from ".repeat(depth),
                ") t".repeat(depth)
            ),
            format!(
                "select {}amount{} as x from raw.orders",
                "abs(".repeat(depth),
                ")".repeat(depth)
            ),
            format!(
                "select {}amount{} as x from raw.orders",
                "case when id > 0 then ".repeat(depth),
                " end".repeat(depth)
            ),
            format!(
                "select (select {}max(amount){} from raw.orders) as x",
                "(select ".repeat(depth),
                ")".repeat(depth)
            ),
        ];
        for (i, sql) in cases.into_iter().enumerate() {
            match on_small_stack(move || analyze(&sql, Dialect::Generic, &catalog)) {
                Ok(analysis) => {
                    assert!(
                        analysis.unresolved.is_empty(),
                        "case {i} at {depth}: {analysis:?}"
                    );
                    deepest_ok[i] = depth;
                }
                Err(LineageError::Parse(message)) => {
                    assert!(message.contains("recursion limit"), "{message}")
                }
                Err(other) => panic!("case {i} at {depth}: {other}"),
            }
        }
    }
    // Real SQL nests a few levels; these all go well beyond.
    assert!(deepest_ok.iter().all(|d| *d >= 20), "{deepest_ok:?}");
}

#[test]
fn long_but_legitimate_sql_is_analysed() {
    // 300 union branches, a 500-term sum, 40 nested calls and subqueries, and an
    // unaliased chain just under the limit (named by printing it): deep for
    // generated SQL, within the limits.
    let sql = format!(
        "with u as (select id, amount from raw.orders{}) \
         select id, amount{} as total, {}amount{} as wrapped, amount{} \
         from (select * from (select * from (select * from u) a) b) c",
        " union all select id, amount from raw.orders".repeat(300),
        " + amount".repeat(500),
        "abs(".repeat(40),
        ")".repeat(40),
        " * 2".repeat(1_990),
    );
    let analysis = on_small_stack(move || analyze(&sql, Dialect::Generic, &catalog)).unwrap();
    assert_eq!(
        lines(&analysis)[..3],
        [
            "id <- raw.orders.id",
            "total <- raw.orders.amount",
            "wrapped <- raw.orders.amount"
        ]
    );
    assert_eq!(analysis.columns.len(), 4);
    assert!(analysis.columns[3].column.starts_with("amount * 2 * 2"));
    assert_eq!(analysis.columns[3].sources, analysis.columns[1].sources);
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A fixed pseudo-random walk over SQL fragments: every result is Ok or a
    // typed error.
    let fragments = [
        "select ",
        "from ",
        "(",
        ")",
        "a",
        "b.c",
        "*",
        ",",
        " union ",
        "with x as ",
        "join ",
        "on ",
        "=",
        "'s'",
        "\"q\"",
        "1",
        "case ",
        "when ",
        "then ",
        "end ",
        "over (",
        "partition by ",
        "::int",
        "[",
        "]",
        "->",
        "lateral ",
        "unnest(",
        "using (",
        "group by ",
        "window w as (",
        "exists ",
        ";",
        "--c\n",
        "/*",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..3_000 {
        let mut sql = String::new();
        for _ in 0..(state % 40) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            sql.push_str(fragments[(state % fragments.len() as u64) as usize]);
        }
        let _ = analyze(&sql, Dialect::Generic, &catalog);
        let _ = analyze(&sql, Dialect::DuckDb, &catalog);
    }
}
