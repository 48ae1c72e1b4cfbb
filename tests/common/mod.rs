//! Helpers shared by the end-to-end tests.

use std::path::Path;

/// Two SKUs over eight whole weeks (2024-01-01 is a Monday), as-of 2024-02-26: A sells 6 and
/// `a_second` units a week (two lines of one order each week), B sells 3; items, stock, three
/// purchase orders (one open) and two backorders.
pub fn fixture(dir: &Path, a_second: &str) {
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).expect("write fixture");
    let mut sales = String::from("date,sku,qty,order_id\n");
    for w in 0..8 {
        let day = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(7 * w + 2);
        sales.push_str(&format!("{day},A,6,O{w}a\n{day},A,{a_second},O{w}b\n{day},B,3,O{w}c\n"));
    }
    write("sales.csv", &sales);
    write(
        "items.csv",
        "sku,supplier,unit_cost,lead_time_days,moq,order_multiple\nA,ACME,2.5,14,0,1\nB,BOLT,4,7,50,12\n",
    );
    write("inventory.csv", "sku,on_hand\nA,15\nB,100\n");
    write(
        "purchase_orders.csv",
        "po_id,sku,supplier,order_date,qty,received_date\n\
         P1,A,ACME,2024-01-01,20,2024-01-08\n\
         P2,A,ACME,2024-01-10,20,2024-01-31\n\
         P3,A,ACME,2024-02-20,5,\n",
    );
    write("backorders.csv", "date,sku,qty,filled_date\n2024-02-20,A,2,\n2024-02-01,A,9,2024-02-05\n");
}

/// The cells of one CSV line; a quoted cell may hold commas and doubled quotes.
pub fn cells(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}
