//! Times the text pipeline (ITN + replacements + spoken punctuation + casing) on a
//! 10,000-word transcript written as the models write: upper case, no punctuation, numbers,
//! dates, times, money and addresses in words, mixed into ordinary dictation.
//!
//! Run: `cargo run --release -p noi-text --example text_bench`. Prints one JSON line per
//! configuration: the fastest and median of the runs over the whole transcript, time per
//! 1,000 words (fastest run), and what a 10 s dictation (about 30 words) costs.

use std::time::Instant;

use noi_text::{ItnOptions, Replacement, TextOptions, postprocess};

/// Dictation as people say it; about one sentence in two has something for ITN.
const SENTENCES: &[&str] = &[
    "XIN CHÀO CÁC BẠN HÔM NAY CHÚNG TA SẼ BÀN VỀ KẾ HOẠCH CỦA QUÝ TỚI",
    "CUỘC HỌP BẮT ĐẦU LÚC CHÍN GIỜ BA MƯƠI SÁNG NGÀY MƯỜI LĂM THÁNG TÁM NĂM HAI NGHÌN KHÔNG TRĂM HAI MƯƠI SÁU",
    "DOANH THU TĂNG BA MƯƠI PHẦN TRĂM SO VỚI CÙNG KỲ NĂM NGOÁI",
    "CHI PHÍ DỰ KIẾN LÀ HAI TRIỆU RƯỠI ĐỒNG CHO MỖI NGƯỜI",
    "ANH ẤY NÓI RẰNG MỌI VIỆC ĐỀU ỔN VÀ KHÔNG CẦN LO LẮNG GÌ CẢ",
    "QUÃNG ĐƯỜNG TỪ ĐÂY ĐẾN ĐÓ KHOẢNG BA PHẨY NĂM KI LÔ MÉT",
    "SỐ ĐIỆN THOẠI CỦA CHỊ LÀ KHÔNG CHÍN MỘT HAI BA BỐN NĂM SÁU BẢY TÁM",
    "TÔI NGHĨ CHÚNG TA NÊN GẶP NHAU VÀO CUỐI TUẦN ĐỂ NÓI CHUYỆN THÊM",
    "GIÁ MỖI SẢN PHẨM LÀ MỘT TRĂM HAI MƯƠI LĂM NGHÌN ĐỒNG CHƯA GỒM THUẾ",
    "EM GỬI EMAIL CHO ANH THEO ĐỊA CHỈ AN A CÒNG GMAIL CHẤM COM NHÉ",
    "HAI BÊN ĐÃ THỐNG NHẤT MỘT CHÚT VỀ CÁC ĐIỀU KHOẢN CÒN LẠI",
    "NHIỆT ĐỘ NGOÀI TRỜI HÔM NAY LÀ BA MƯƠI HAI ĐỘ XÊ",
    "CÔNG TY ĐƯỢC THÀNH LẬP NĂM MỘT CHÍN CHÍN TÁM VÀ CÓ HAI NGHÌN NHÂN VIÊN",
    "BẠN CÓ THỂ GIÚP TÔI KIỂM TRA LẠI TÀI LIỆU NÀY ĐƯỢC KHÔNG",
    "CHUYẾN BAY KHỞI HÀNH LÚC HAI GIỜ KÉM MƯỜI LĂM CHIỀU THỨ SÁU",
    "MỘT PHẦN BA SỐ NGƯỜI THAM GIA KHẢO SÁT ĐỒNG Ý VỚI ĐỀ XUẤT",
];

const WORDS: usize = 10_000;
const RUNS: usize = 50;

fn transcript() -> (Vec<String>, usize) {
    // Dictations of a sentence or two, as doors post-process them one at a time.
    let mut dictations = Vec::new();
    let mut words = 0;
    let mut k = 0;
    while words < WORDS {
        let text = format!(
            "{} {}",
            SENTENCES[k % SENTENCES.len()],
            SENTENCES[(k * 7 + 3) % SENTENCES.len()]
        );
        words += text.split_whitespace().count();
        dictations.push(text);
        k += 1;
    }
    (dictations, words)
}

/// Fastest and median of the runs, in ms for the whole transcript. The fastest is the figure
/// of record: on a shared machine the others measure the neighbours too.
fn timings(dictations: &[String], options: &TextOptions) -> (f64, f64) {
    let mut times: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            for dictation in dictations {
                std::hint::black_box(postprocess(std::hint::black_box(dictation), options));
            }
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    (times[0], times[RUNS / 2])
}

fn main() {
    let (dictations, words) = transcript();
    let replacements = vec![
        Replacement::new(["vi ét nam", "việt nam"], "Việt Nam"),
        Replacement::new(["git húp"], "GitHub"),
        Replacement::new(["ờ", "ừm"], ""),
    ];
    let configurations = [
        (
            "itn off (casing only)",
            TextOptions {
                itn: ItnOptions {
                    enabled: false,
                    ..ItnOptions::default()
                },
                ..TextOptions::default()
            },
        ),
        ("default (itn on)", TextOptions::default()),
        (
            "itn + spoken punctuation + 3 replacements",
            TextOptions {
                spoken_punctuation: true,
                replacements,
                ..TextOptions::default()
            },
        ),
    ];
    for (name, options) in configurations {
        let (fastest, median) = timings(&dictations, &options);
        let per_1000 = fastest * 1000.0 / words as f64;
        println!(
            "{{\"config\":\"{name}\",\"words\":{words},\"dictations\":{},\"runs\":{RUNS},\
             \"fastest_ms_total\":{fastest:.3},\"median_ms_total\":{median:.3},\
             \"ms_per_1000_words\":{per_1000:.4},\"ms_per_30_word_dictation\":{:.4}}}",
            dictations.len(),
            per_1000 * 30.0 / 1000.0
        );
    }
}
