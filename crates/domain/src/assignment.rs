//! Automatic assignment of new conversations (round-robin).
//!
//! Who takes part is decided per user by [`crate::permissions::Permissions::takes_auto_assignment`]
//! (and by being active and available); this module decides *which* of them gets the next
//! conversation: the one with the fewest open conversations, and among equals the one whose last
//! automatic assignment is the oldest (the rotation), so a burst of new conversations spreads evenly
//! and a user who closes conversations quickly is not flooded.

use crate::ids::UserId;
use serde_json::{json, Value};

/// A user who may get the next conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub user: UserId,
    /// Open conversations assigned to the user now (in the whole account: that is their workload).
    pub open_conversations: i64,
    /// The turn of the user's last automatic assignment (0: never); turns only grow.
    pub last_turn: i64,
}

/// The candidate who gets the next conversation, or `None` when nobody may.
pub fn pick(candidates: &[Candidate]) -> Option<UserId> {
    // The user id makes the choice deterministic when everything else is equal.
    candidates.iter().min_by_key(|c| (c.open_conversations, c.last_turn, c.user)).map(|c| c.user)
}

/// Someone an assignment names: the assignee, the previous one, or who changed it.
pub type Person<'a> = Option<(UserId, &'a str)>;

fn person(p: Person<'_>) -> Value {
    p.map_or(Value::Null, |(id, name)| json!({"id": id, "name": name}))
}

/// The content of the `system` notice a change of assignee leaves in the conversation ("Asignada a
/// Ana por Bruno"); `by` is `None` for the round-robin's (automatic) assignment.
pub fn notice(assignee: Person<'_>, previous: Person<'_>, by: Person<'_>) -> Value {
    json!({"system": {"type": "assignment", "assignee": person(assignee), "previous": person(previous),
                      "by": person(by), "auto": by.is_none()}})
}

/// The audit log's action for a change of assignee.
pub fn audit_action(assignee: Option<UserId>) -> &'static str {
    if assignee.is_some() {
        "conversation.assigned"
    } else {
        "conversation.unassigned"
    }
}

/// The audit log's details of a change of assignee.
pub fn audit_details(assignee: Option<UserId>, previous: Option<UserId>, automatic: bool) -> Value {
    json!({"assignee_id": assignee, "previous_assignee_id": previous, "auto": automatic})
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn users(n: usize) -> Vec<UserId> {
        (0..n).map(|_| UserId::new()).collect()
    }

    #[test]
    fn nobody_gets_nothing() {
        assert_eq!(pick(&[]), None);
    }

    #[test]
    fn the_least_loaded_gets_it() {
        let u = users(3);
        let c = |i: usize, open, last_turn| Candidate { user: u[i], open_conversations: open, last_turn };
        assert_eq!(pick(&[c(0, 4, 1), c(1, 2, 9), c(2, 3, 0)]), Some(u[1]));
    }

    #[test]
    fn among_equals_the_one_waiting_longest_gets_it() {
        let u = users(3);
        let c = |i: usize, last_turn| Candidate { user: u[i], open_conversations: 5, last_turn };
        assert_eq!(pick(&[c(0, 7), c(1, 3), c(2, 8)]), Some(u[1]));
        assert_eq!(pick(&[c(0, 7), c(1, 0), c(2, 8)]), Some(u[1]), "never assigned comes first");
    }

    /// Thirty conversations over three users who close nothing: ten each, taken in turns.
    #[test]
    fn a_burst_spreads_evenly_in_turns() {
        let u = users(3);
        let mut state: Vec<Candidate> =
            u.iter().map(|&user| Candidate { user, open_conversations: 0, last_turn: 0 }).collect();
        let mut order = vec![];
        for turn in 1..=30 {
            let chosen = pick(&state).expect("someone");
            order.push(chosen);
            let c = state.iter_mut().find(|c| c.user == chosen).expect("candidate");
            c.open_conversations += 1;
            c.last_turn = turn;
        }
        let mut counts: HashMap<UserId, usize> = HashMap::new();
        for o in &order {
            *counts.entry(*o).or_default() += 1;
        }
        assert!(u.iter().all(|x| counts[x] == 10), "{counts:?}");
        // Turns rotate: no user gets two in a row.
        assert!(order.windows(2).all(|w| w[0] != w[1]));
    }

    /// A user who resolves everything quickly still waits for their turn among the equally loaded.
    #[test]
    fn rotation_breaks_ties_between_empty_queues() {
        let u = users(2);
        let mut state: Vec<Candidate> =
            u.iter().map(|&user| Candidate { user, open_conversations: 0, last_turn: 0 }).collect();
        let mut got = vec![];
        for turn in 1..=4 {
            let chosen = pick(&state).expect("someone");
            got.push(chosen);
            // Both resolve at once: open counts stay at zero, only the rotation decides.
            state.iter_mut().find(|c| c.user == chosen).expect("candidate").last_turn = turn;
        }
        assert_eq!(got[0], got[2]);
        assert_eq!(got[1], got[3]);
        assert_ne!(got[0], got[1]);
    }
}
