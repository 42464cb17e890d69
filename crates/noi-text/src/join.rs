//! Joining consecutive dictations: the space between what Nói inserted and what comes next.

use crate::render::attaches_left;

/// Joins an already processed dictation `next` to the text before it, returning what to
/// insert: `next`, preceded by one space when both sides need it.
///
/// No space when there is no previous text (or it is empty), when it ends in white space or a
/// new line, or in `(`; none either when `next` starts with white space, a new line or
/// punctuation that attaches to the left (`,` `.` `?` `!` `:` `;` `)`). An empty `next` gives
/// an empty string, never a dangling space. Casing is left alone: see [`crate::postprocess_after`].
pub fn join_dictation(previous_tail: Option<&str>, next: &str) -> String {
    if next.is_empty() {
        return String::new();
    }
    let last = previous_tail.and_then(|text| text.chars().next_back());
    let first = next.chars().next();
    let spaced = |c: char| !c.is_whitespace();
    let needs_space = last.is_some_and(|c| spaced(c) && c != '(')
        && first.is_some_and(|c| spaced(c) && !attaches_left(c));
    if needs_space {
        format!(" {next}")
    } else {
        next.to_owned()
    }
}
