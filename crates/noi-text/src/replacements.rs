//! User custom words: phrases as the model writes them → the user's written form.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::piece::Piece;
use crate::rules::{Rule, longest_first};

/// A user custom word: any of the `from` phrases, as the model writes it, becomes `to`.
///
/// Phrases match whole words, case-insensitively, across any run of spaces (not across a line
/// break). `to` is inserted as written (NFC-normalised) and never re-cased; an empty `to`
/// deletes the phrase (filler words such as "ờ", "ừm"). Listing the written form among the
/// phrases too ("việt nam" for "Việt Nam") also fixes its case when the model hears it right,
/// and makes processing the output again a no-op.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Replacement {
    /// Spellings the model produces for the word, e.g. `["vi ét nam", "việt nam"]`.
    pub from: Vec<String>,
    /// What to write instead, e.g. `"Việt Nam"`.
    pub to: String,
}

impl Replacement {
    /// A rule from its phrases and its replacement text.
    pub fn new<S: Into<String>>(from: impl IntoIterator<Item = S>, to: impl Into<String>) -> Self {
        Self {
            from: from.into_iter().map(Into::into).collect(),
            to: to.into(),
        }
    }
}

pub(crate) fn replacement_rules(replacements: &[Replacement]) -> Vec<Rule> {
    let rules = replacements.iter().flat_map(|replacement| {
        let to: String = replacement.to.trim().nfc().collect();
        let output = (!to.is_empty()).then_some(Piece::Literal(to));
        replacement
            .from
            .iter()
            .filter_map(move |from| Rule::new(from, output.clone()))
    });
    longest_first(rules.collect())
}
