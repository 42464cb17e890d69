//! `noi serve`'s text options: `--itn off` gives the model's words as before ITN, and live
//! partials go through the same pipeline as finals (what users see while speaking is what
//! they get).

mod server;

use std::collections::HashMap;

use serde_json::Value;
use server::*;

fn sse_events(body: &str) -> Vec<Value> {
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|d| serde_json::from_str(d.trim()).expect("JSON event"))
        .collect()
}

fn words_of(value: &Value) -> Vec<String> {
    value["words"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["word"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn itn_off_and_casing_as_is_give_the_models_words() {
    let Some(clip) = test_audio("vi_01.wav") else {
        return;
    };
    let server = Server::tiny(&["--itn", "off", "--casing", "as-is"]);
    let answer = post(
        &server.url("/v1/transcribe"),
        &[("content-type", "audio/wav")],
        &std::fs::read(&clip).unwrap(),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = answer.json();
    let text = body["text"].as_str().unwrap();
    assert!(!text.is_empty());
    assert_eq!(text, words_of(&body).join(" "));
}

#[test]
fn live_partials_get_the_same_text_pipeline_as_finals() {
    let Some(clip) = test_audio("long_2min.wav") else {
        return;
    };
    let audio = std::fs::read(&clip).unwrap();
    // The model's most frequent word, as it writes it.
    let plain = Server::tiny(&["--itn", "off", "--casing", "as-is"]);
    let answer = post(&plain.url("/v1/transcribe"), &[], &audio);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let mut counts: HashMap<String, usize> = HashMap::new();
    for word in words_of(&answer.json()) {
        *counts.entry(word).or_default() += 1;
    }
    let (word, _) = counts.into_iter().max_by_key(|(_, n)| *n).unwrap();
    drop(plain);

    let rules = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(rules.path(), format!("{} => Zz9\n", word.to_lowercase())).unwrap();
    let server = Server::tiny(&["--replacements", rules.path().to_str().unwrap()]);
    let answer = post(&server.url("/v1/transcribe/stream"), &[], &audio);
    assert_eq!(answer.status, 200);
    let events = sse_events(&answer.body);
    let partials: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "partial")
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert!(
        !partials.is_empty(),
        "no partials in {} events",
        events.len()
    );
    assert!(partials.iter().any(|p| p.contains("Zz9")), "{partials:?}");
    let lower = word.to_lowercase();
    for event in &events {
        let text = event["text"].as_str().unwrap();
        let first = text.chars().next();
        assert!(
            first.is_none_or(|c| !c.is_lowercase()),
            "sentence case: {text}"
        );
        assert!(
            !text.split_whitespace().any(|w| w.to_lowercase() == lower),
            "the rule applies to every {} event: {text}",
            event["type"]
        );
    }
}
