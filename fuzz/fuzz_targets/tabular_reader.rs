//! Any bytes as an upload: the reader (format, encoding and separator detection, quoting), the
//! header detection, the automatic and the user's column mapping and the preview must answer
//! with rows or a row-numbered error, never panic or hang.
#![no_main]

use fullhouse_core::tabular::{ColumnMap, FieldSpec, HeaderRows, Preview, TableReader};
use libfuzzer_sys::fuzz_target;

const FIELDS: [FieldSpec; 3] = [
    FieldSpec { name: "code", aliases: &["barcode", "stregkode", "code-barre"], required: true },
    FieldSpec { name: "quantity", aliases: &["antal", "quantité"], required: true },
    FieldSpec { name: "category", aliases: &["kategori", "catégorie"], required: false },
];

fuzz_target!(|data: &[u8]| {
    // The first byte picks the header choice; the rest is the file.
    let Some((&choice, file)) = data.split_first() else { return };
    let header = match choice % 4 {
        0 => HeaderRows::Auto,
        n => HeaderRows::Count(u32::from(n - 1)),
    };
    let Ok(mut reader) = TableReader::from_bytes(file.to_vec()) else { return };
    let layout = reader.layout(header, &FIELDS);
    let map = layout.automatic_map(&FIELDS);
    let _ = map.require(&FIELDS);
    let choices: Vec<String> = layout.headers.iter().map(|h| h.chars().take(8).collect()).collect();
    let _ = ColumnMap::from_choices(&choices, &FIELDS);
    let _ = Preview::build(&mut reader, &layout, &map, &FIELDS);
    for row in reader.by_ref() {
        if let Ok(row) = row {
            let _ = map.get(&row, "code");
        }
    }
});
