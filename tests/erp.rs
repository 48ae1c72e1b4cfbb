//! Data as ERPs export it: column mappings, other layouts and encodings, workbooks in and
//! out, bad rows skipped and listed, and files that are refused with the row named.

use std::fs;
use std::path::Path;

use assert_cmd::Command;

mod common;
use common::cells;

fn replen() -> Command {
    Command::cargo_bin("replen").expect("binary built")
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) {
    fs::write(dir.join(name), bytes).expect("write fixture");
}

/// The CLI tests' folder, with a decimal quantity (4.5) among the sales.
fn fixture(dir: &Path) {
    common::fixture(dir, "4.5");
}

fn folder(t: &Path, name: &str) -> std::path::PathBuf {
    let d = t.join(name);
    fs::create_dir_all(&d).unwrap();
    d
}

/// `replen plan` of `data` into `out` as of 2024-02-26; its stderr.
fn plan(data: &Path, out: &Path) -> String {
    let o = replen()
        .args(["plan", "--quiet", "--as-of", "2024-02-26", "--data"])
        .arg(data)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "plan failed: {err}");
    err
}

/// Runs a command on `data`; (exit code, stderr).
fn fails(args: &[&str], data: &Path, out: &Path) -> (i32, String) {
    let o = replen().args(args).arg("--data").arg(data).arg("--out").arg(out).output().unwrap();
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stderr).into_owned())
}

const SCMS_HEADER: &str = "ID,Project Code,PQ #,PO / SO #,ASN/DN #,Country,Managed By,Fulfill Via,Vendor INCO Term,Shipment Mode,PQ First Sent to Client Date,PO Sent to Vendor Date,Scheduled Delivery Date,Delivered to Client Date,Delivery Recorded Date,Product Group,Sub Classification,Vendor,Item Description,Molecule/Test Type,Brand,Dosage,Dosage Form,Unit of Measure (Per Pack),Line Item Quantity,Line Item Value,Pack Price,Unit Price,Manufacturing Site,First Line Designation,Weight (Kilograms),Freight Cost (USD),Line Item Insurance (USD)";

/// Six lines in the layout of the USAID supply-chain delivery history: dates as `2-Jun-06` and
/// `8/27/14`, `Date Not Captured` and `N/A - From RDC` where a PO date is unknown, a BOM.
fn scms(dir: &Path) {
    let rows = [
        "1,100-CI-T01,Pre-PQ Process,SCMS-4,ASN-8,Cote d Ivoire,PMO - US,Direct Drop,EXW,Air,Pre-PQ Process,Date Not Captured,2-Jun-06,2-Jun-06,2-Jun-06,HRDT,HIV test,RANBAXY Fine Chemicals LTD.,\"HIV, Reveal G3 Rapid HIV-1 Antibody Test, 30 Tests\",HIV,Reveal,,Test kit,30,19,551,29,0.97,Ranbaxy,Yes,13,780.34,",
        "2,108-VN-T01,Pre-PQ Process,SCMS-13,ASN-85,Vietnam,PMO - US,Direct Drop,EXW,Air,Pre-PQ Process,11/13/06,14-Nov-06,14-Nov-06,14-Nov-06,ARV,Pediatric,Aurobindo Pharma Limited,\"Nevirapine 10mg/ml, oral suspension, Bottle, 240 mL\",Nevirapine,Generic,10mg/ml,Oral suspension,240,1000,6200,6.2,0.03,\"Aurobindo Unit III, India\",Yes,358,4521.5,",
        "3,100-CI-T01,Pre-PQ Process,SCMS-20,ASN-14,Cote d Ivoire,PMO - US,Direct Drop,FCA,Air,Pre-PQ Process,8/27/06,27-Aug-06,27-Aug-06,27-Aug-06,HRDT,HIV test,Abbott GmbH & Co. KG,\"HIV 1/2, Determine Complete HIV Kit, 100 Tests\",HIV,Determine,,Test kit,100,500,40000,80,0.8,ABBVIE,Yes,171,1653.78,",
        "4,100-CI-T01,Pre-PQ Process,SCMS-73,ASN-30,Cote d Ivoire,PMO - US,Direct Drop,EXW,Air,Pre-PQ Process,N/A - From RDC,1-Sep-06,1-Sep-06,1-Sep-06,ARV,Adult,SHANGHAI KHANDELWAL PHARMA,Lamivudine 150mg,Lamivudine,Generic,150mg,Tablet,60,31920,127360.8,3.99,0.07,Ranbaxy,Yes,1855,16007.06,",
        "5,108-VN-T01,Pre-PQ Process,SCMS-81,ASN-32,Vietnam,PMO - US,Direct Drop,EXW,Air,Pre-PQ Process,6/1/06,11-Aug-06,11-Aug-06,11-Aug-06,ARV,Adult,Aurobindo Pharma Limited,\"Stavudine 30mg, capsules, 60 Caps\",Stavudine,Generic,30mg,Capsule,60,38000,121600,3.2,0.05,\"Aurobindo Unit III, India\",Yes,7590,45450.08,",
        "6,108-VN-T01,Pre-PQ Process,SCMS-82,ASN-33,Vietnam,PMO - US,Direct Drop,EXW,Air,Pre-PQ Process,7/3/06,28-Sep-06,30-Sep-06,30-Sep-06,ARV,Adult,Aurobindo Pharma Limited,\"Stavudine 30mg, capsules, 60 Caps\",Stavudine,Generic,30mg,Capsule,60,12000,38400,3.2,0.05,\"Aurobindo Unit III, India\",Yes,2410,14000,",
    ];
    let text = format!("\u{feff}{SCMS_HEADER}\r\n{}\r\n", rows.join("\r\n"));
    write(dir, "SCMS_Delivery_History_Dataset.csv", text);
}

const SCMS_MAPPING: &str = r#"
[files.purchase_orders]
path = "SCMS_Delivery_History_Dataset.csv"
date_formats = ["%d-%b-%y", "%m/%d/%y"]
null_values = ["N/A - From RDC", "Date Not Captured"]
on_bad_rows = "skip"
[files.purchase_orders.columns]
po_id = "PO / SO #"
sku = "Item Description"
supplier = "Vendor"
order_date = "PO Sent to Vendor Date"
qty = "Line Item Quantity"
received_date = "Delivered to Client Date"
expected_date = "Scheduled Delivery Date"
"#;

fn rows_of(path: &Path) -> Vec<Vec<String>> {
    let text = fs::read_to_string(path).unwrap();
    text.lines().map(cells).collect()
}

#[test]
fn an_erp_purchase_order_export_is_read_through_a_mapping() {
    let t = tempfile::tempdir().unwrap();
    let data = folder(t.path(), "erp");
    scms(&data);
    write(&data, "replen.toml", SCMS_MAPPING);
    let out = t.path().join("out");
    let o = replen().arg("leadtimes").arg("--data").arg(&data).arg("--out").arg(&out).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("2 bad row(s)"), "{err}");
    let lt = rows_of(&out.join("lead_times.csv"));
    let h = &lt[0];
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let aurobindo =
        lt.iter().find(|r| r[col("scope")] == "supplier" && r[col("supplier")] == "Aurobindo Pharma Limited").unwrap();
    // By hand: 11/13/06 -> 14-Nov-06 is 1 day, 6/1/06 -> 11-Aug-06 is 71, 7/3/06 -> 30-Sep-06 is
    // 89 (two days after its 28-Sep-06 promise). Mean 161/3; sample sd sqrt(4322.67 / 2).
    let f = |r: &Vec<String>, c: &str| r[col(c)].parse::<f64>().unwrap();
    assert_eq!(f(aurobindo, "receipts"), 3.0);
    assert!((f(aurobindo, "mean_days") - 161.0 / 3.0).abs() < 1e-9);
    let ss: f64 = [1.0f64, 71.0, 89.0].iter().map(|x| (x - 161.0 / 3.0).powi(2)).sum();
    assert!((f(aurobindo, "sd_days") - (ss / 2.0).sqrt()).abs() < 1e-9);
    assert!((f(aurobindo, "on_time_rate") - 2.0 / 3.0).abs() < 1e-9);
    // The two lines without a PO date are left out, and listed with their row and value.
    let rej = rows_of(&out.join("rejected_rows.csv"));
    assert_eq!(rej[0], ["file", "row", "column", "value", "problem"]);
    let listed: Vec<(&str, &str, &str)> =
        rej[1..].iter().map(|r| (r[1].as_str(), r[2].as_str(), r[3].as_str())).collect();
    assert_eq!(listed, [("1", "order_date", "Date Not Captured"), ("4", "order_date", "N/A - From RDC")]);
}

#[test]
fn check_prints_a_ready_mapping_block_for_an_erp_header() {
    let t = tempfile::tempdir().unwrap();
    let data = folder(t.path(), "erp");
    scms(&data);
    fs::rename(data.join("SCMS_Delivery_History_Dataset.csv"), data.join("purchase_orders.csv")).unwrap();
    fs::copy(data.join("purchase_orders.csv"), data.join("sales.csv")).unwrap();
    write(&data, "sales.csv", "date,sku,qty\n2024-01-01,A,1\n");
    let o = replen().arg("check").arg("--data").arg(&data).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    for line in [
        "[files.purchase_orders.columns]",
        "po_id = \"PO / SO #\"",
        "sku = \"Item Description\"",
        "order_date = \"PO Sent to Vendor Date\"",
        "received_date = \"Delivered to Client Date\"",
    ] {
        assert!(err.contains(line), "`{line}` not in {err}");
    }
}

/// Writes a CSV text as a workbook of one sheet: numbers as numbers, `*date*` cells as dates.
fn to_xlsx(csv: &str, path: &Path) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let mut lines = csv.lines();
    let header = cells(lines.next().unwrap());
    for (j, h) in header.iter().enumerate() {
        ws.write_string(0, j as u16, h).unwrap();
    }
    for (i, l) in lines.enumerate() {
        for (j, v) in cells(l).iter().enumerate() {
            let (r, c) = (i as u32 + 1, j as u16);
            if v.is_empty() {
                continue;
            }
            match (header[j].contains("date"), v.parse::<f64>(), chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")) {
                (true, _, Ok(d)) => {
                    use chrono::Datelike;
                    let x = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).unwrap();
                    ws.write_datetime_with_format(r, c, &x, &date).unwrap();
                }
                (_, Ok(x), _) if header[j] != "sku" => {
                    ws.write_number(r, c, x).unwrap();
                }
                _ => {
                    ws.write_string(r, c, v).unwrap();
                }
            }
        }
    }
    wb.save(path).unwrap();
}

#[test]
fn workbooks_plan_like_csv_and_proposals_come_out_as_a_typed_workbook() {
    use calamine::{open_workbook_auto, Data, Reader};
    let t = tempfile::tempdir().unwrap();
    let csv = folder(t.path(), "csv");
    fixture(&csv);
    let xlsx = folder(t.path(), "xlsx");
    for name in ["sales", "items", "inventory", "purchase_orders", "backorders"] {
        let text = fs::read_to_string(csv.join(format!("{name}.csv"))).unwrap();
        to_xlsx(&text, &xlsx.join(format!("{name}.xlsx")));
    }
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    plan(&csv, &a);
    plan(&xlsx, &b);
    for f in ["policy.csv", "proposals.csv", "forecast.csv"] {
        assert_eq!(fs::read(a.join(f)).unwrap(), fs::read(b.join(f)).unwrap(), "{f} differs");
    }
    // The same inputs give the same workbook, byte for byte.
    assert_eq!(fs::read(a.join("proposals.xlsx")).unwrap(), fs::read(b.join("proposals.xlsx")).unwrap());
    let csv_rows = rows_of(&a.join("proposals.csv"));
    assert!(csv_rows.len() > 1, "the fixture orders something");
    let mut wb = open_workbook_auto(a.join("proposals.xlsx")).unwrap();
    assert_eq!(wb.sheet_names(), ["proposals", "po_summary", "alerts"]);
    let sheet = wb.worksheet_range("proposals").unwrap();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(rows.len(), csv_rows.len());
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(header, csv_rows[0]);
    for (x, c) in rows[1..].iter().zip(&csv_rows[1..]) {
        for ((cell, text), name) in x.iter().zip(c).zip(&header) {
            match cell {
                Data::Float(v) => assert!((v - text.parse::<f64>().unwrap()).abs() < 1e-9, "{name}: {v} vs {text}"),
                Data::DateTime(d) => {
                    assert_eq!(d.as_datetime().unwrap().date().to_string(), *text, "{name}")
                }
                Data::String(s) => {
                    assert_eq!(s, text, "{name}");
                    assert!(text.parse::<f64>().is_err() || name == "po_number", "{name} = {text} is text")
                }
                Data::Empty => assert!(text.is_empty(), "{name}"),
                other => panic!("{name}: unexpected cell {other:?}"),
            }
        }
    }
}

#[test]
fn other_delimiters_encodings_and_decimal_commas_plan_like_plain_csv() {
    let t = tempfile::tempdir().unwrap();
    let plain = folder(t.path(), "plain");
    fixture(&plain);
    let messy = folder(t.path(), "messy");
    fixture(&messy);
    // Sales: UTF-16 with a BOM, semicolons, decimal commas, CRLF and blank lines.
    let sales = fs::read_to_string(plain.join("sales.csv")).unwrap();
    let mut text = String::new();
    for (i, l) in sales.lines().enumerate() {
        text.push_str(&l.replace(',', ";").replace('.', ","));
        text.push_str("\r\n");
        if i % 7 == 3 {
            text.push_str("\r\n");
        }
    }
    text.push_str("\r\n\r\n");
    let mut utf16 = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        utf16.extend(u.to_le_bytes());
    }
    write(&messy, "sales.csv", utf16);
    // Items: Windows-1252 with tabs, a mapped column, and `N/A` for an empty MOQ.
    let items = b"sku\tsupplier\tunit_cost\tlead time (days)\tmoq\torder_multiple\tdescription\n\
A\tACME\t2.5\t14\tN/A\t1\tCaf\xe9 cr\xe8me\nB\tBOLT\t4\t7\t50\t12\t\n";
    write(&messy, "items.txt", items);
    write(
        &messy,
        "replen.toml",
        "[files.sales]\ndecimal_comma = true\n\
         [files.items]\npath = \"items.txt\"\nencoding = \"windows-1252\"\nnull_values = [\"N/A\"]\n\
         [files.items.columns]\nlead_time_days = \"Lead Time (days)\"\n",
    );
    fs::remove_file(messy.join("items.csv")).unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    plan(&plain, &a);
    plan(&messy, &b);
    for f in ["policy.csv", "proposals.csv", "forecast.csv"] {
        assert_eq!(fs::read(a.join(f)).unwrap(), fs::read(b.join(f)).unwrap(), "{f} differs");
    }
}

#[test]
fn bad_rows_can_be_skipped_and_are_listed() {
    let t = tempfile::tempdir().unwrap();
    let data = folder(t.path(), "data");
    fixture(&data);
    let mut sales = fs::read_to_string(data.join("sales.csv")).unwrap();
    sales.push_str("2024-02-20,A,twelve,X1\n2024-13-01,B,1,X2\n");
    write(&data, "sales.csv", &sales);
    let out = t.path().join("out");
    let (code, err) = fails(&["plan", "--quiet", "--as-of", "2024-02-26"], &data, &out);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("row 25") && err.contains("`twelve`"), "{err}");
    write(&data, "replen.toml", "[files.sales]\non_bad_rows = \"skip\"\n");
    let err = plan(&data, &out);
    assert!(err.contains("2 bad row(s) were left out (2 in sales.csv)"), "{err}");
    let rej = rows_of(&out.join("rejected_rows.csv"));
    assert_eq!(rej.len(), 3);
    assert_eq!(rej[1][..4], ["sales.csv", "25", "qty", "twelve"]);
    assert_eq!(rej[2][..4], ["sales.csv", "26", "date", "2024-13-01"]);
    // The plan is the plan of the good rows.
    assert_plans_like_the_clean_fixture(t.path(), &out);
}

#[test]
fn broken_files_are_refused_with_the_row_or_column_named() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    let cases: [(&str, &str, &[u8], &[&str]); 8] = [
        (
            "ragged",
            "sales.csv",
            b"date,sku,qty\n2024-01-02,A,1\n2024-01-03,A,1,5\n",
            &["row 2", "4 fields", "header has 3"],
        ),
        ("twice", "sales.csv", b"date,sku,qty,QTY\n2024-01-02,A,1,2\n", &["`qty` and `QTY`"]),
        ("year", "sales.csv", b"date,sku,qty\n1800-01-02,A,1\n", &["row 1", "column `date`", "1800"]),
        ("huge", "sales.csv", b"date,sku,qty\n2024-01-02,A,1e300\n", &["row 1", "column `qty`", "too large"]),
        ("infinite", "sales.csv", b"date,sku,qty\n2024-01-02,A,1e400\n", &["row 1", "column `qty`", "too large"]),
        ("minus-infinite", "sales.csv", b"date,sku,qty\n2024-01-02,A,-1e400\n", &["row 1", "column `qty`", "negative"]),
        (
            "lead",
            "items.csv",
            b"sku,supplier,unit_cost,lead_time_days,moq,order_multiple\nA,ACME,2.5,4000,0,1\nB,BOLT,4,7,50,12\n",
            &["row 1", "column `lead_time_days`", "3650"],
        ),
        ("mapping", "replen.toml", b"[files.sales.columns]\nqty = \"Units\"\n", &["`Units`", "header does not have"]),
    ];
    for (name, file, bytes, expect) in cases {
        let data = folder(t.path(), name);
        fixture(&data);
        write(&data, file, bytes);
        let (code, err) = fails(&["plan", "--quiet"], &data, &out);
        assert_eq!(code, 2, "{name}: {err}");
        for e in expect {
            assert!(err.contains(e), "{name}: `{e}` not in {err}");
        }
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}

#[test]
fn a_windows_1252_file_without_a_setting_is_read_as_such_with_a_warning() {
    let t = tempfile::tempdir().unwrap();
    let data = folder(t.path(), "data");
    fixture(&data);
    write(&data, "inventory.csv", b"sku,on_hand,note\nA,15,caf\xe9\nB,100,cr\xe8me\n");
    let out = t.path().join("out");
    let err = plan(&data, &out);
    assert!(err.contains("inventory.csv is not UTF-8 text: read as Windows-1252"), "{err}");
    assert_plans_like_the_clean_fixture(t.path(), &out);
}

/// `policy.csv` in `out` equals the plan of the untouched fixture (planned under `tmp`).
fn assert_plans_like_the_clean_fixture(tmp: &Path, out: &Path) {
    let clean = folder(tmp, "clean");
    fixture(&clean);
    let c = tmp.join("c");
    plan(&clean, &c);
    assert_eq!(fs::read(c.join("policy.csv")).unwrap(), fs::read(out.join("policy.csv")).unwrap());
}

#[test]
fn blank_lines_are_skipped_and_an_old_as_of_warns() {
    let t = tempfile::tempdir().unwrap();
    let data = folder(t.path(), "data");
    fixture(&data);
    let sales = fs::read_to_string(data.join("sales.csv")).unwrap().replace("O3c\n", "O3c\n\n   \n");
    write(&data, "sales.csv", format!("{sales}\n\n"));
    let out = t.path().join("out");
    let err = plan(&data, &out);
    assert!(!err.contains("after the last sale"), "{err}");
    let o = replen()
        .args(["forecast", "--quiet", "--as-of", "2025-02-24", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("days after the last sale (2024-02-21)"), "{err}");
}

#[test]
fn temporary_files_of_a_killed_run_are_removed_by_the_next() {
    let t = tempfile::tempdir().unwrap();
    let data = folder(t.path(), "data");
    fixture(&data);
    let out = folder(t.path(), "out");
    let left = out.join(".proposals.csv.tmp4294967291");
    write(&out, ".proposals.csv.tmp4294967291", "half a file");
    plan(&data, &out);
    assert!(!left.exists());
    let hidden: Vec<_> =
        fs::read_dir(&out).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().starts_with('.')).collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}
