//! Findings about a service's public endpoints, from `shipshape-scan`.
