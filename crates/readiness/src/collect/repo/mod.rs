//! Findings from the service's repository.
