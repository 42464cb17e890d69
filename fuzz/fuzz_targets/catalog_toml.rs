//! The model catalog's TOML parser and checks, on arbitrary text. A catalog that passes must
//! hold only valid model ids and HTTPS URLs (what `check` promises).
#![no_main]

use libfuzzer_sys::fuzz_target;
use noi_models::Catalog;
use noi_models::catalog::is_valid_id;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(catalog) = Catalog::parse(text, "fuzz") {
        for id in catalog.ids() {
            assert!(is_valid_id(id), "{id:?} passed the checks");
        }
    }
});
