use serde::{Deserialize, Serialize};

/// Canonical generation state. Order: queued < dreaming < completed, failed (both terminal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Queued,
    Dreaming,
    Completed,
    Failed,
}

impl State {
    pub const ALL: [State; 4] = [
        State::Queued,
        State::Dreaming,
        State::Completed,
        State::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Dreaming => "dreaming",
            State::Completed => "completed",
            State::Failed => "failed",
        }
    }

    /// Position in the lifecycle; both terminal states share the last rank.
    pub fn rank(self) -> u8 {
        match self {
            State::Queued => 0,
            State::Dreaming => 1,
            State::Completed | State::Failed => 2,
        }
    }

    pub fn is_terminal(self) -> bool {
        self.rank() == 2
    }

    /// Whether moving from `self` to `next` is allowed: states never go backwards and a
    /// terminal state is final, so late or duplicated updates are ignored.
    pub fn can_move_to(self, next: State) -> bool {
        !self.is_terminal() && next.rank() >= self.rank()
    }

    /// The state after observing `next`: `next` when allowed, otherwise unchanged.
    pub fn advance(self, next: State) -> State {
        if self.can_move_to(next) {
            next
        } else {
            self
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::State::*;

    #[test]
    fn states_only_move_forward() {
        assert_eq!(Queued.advance(Dreaming), Dreaming);
        assert_eq!(Dreaming.advance(Queued), Dreaming);
        assert_eq!(Dreaming.advance(Completed), Completed);
        assert_eq!(Completed.advance(Dreaming), Completed);
        assert_eq!(Completed.advance(Failed), Completed);
        assert_eq!(Failed.advance(Completed), Failed);
        assert_eq!(Queued.advance(Failed), Failed);
    }
}
