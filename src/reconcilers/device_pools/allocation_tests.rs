use super::*;

const ALL: [Strategy; 4] = [
    Strategy::Priority,
    Strategy::RoundRobin,
    Strategy::Proportional,
    Strategy::Weighted,
];

fn wanting(wants: &[u32]) -> Vec<Claim> {
    wants
        .iter()
        .map(|&want| Claim {
            want,
            weight: 1,
            ..Claim::default()
        })
        .collect()
}

/// A small deterministic generator (xorshift64*), so the property cases are the same on
/// every run and a failure names its seed.
struct Cases(u64);

impl Cases {
    fn below(&mut self, bound: u32) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32 % bound
    }

    fn claims(&mut self) -> (u32, Vec<Claim>) {
        let pools = 1 + self.below(8) as usize;
        let claims = (0..pools)
            .map(|_| Claim {
                want: self.below(12),
                priority: self.below(4) as i32 - 1,
                weight: 1 + self.below(5),
                minimum: self.below(4),
            })
            .collect();
        (self.below(40), claims)
    }
}

fn each_case(mut check: impl FnMut(u32, &[Claim], u64)) {
    for seed in 1..=3000u64 {
        let mut cases = Cases(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let (free, claims) = cases.claims();
        check(free, &claims, seed);
    }
}

#[test]
fn every_strategy_gives_exactly_what_is_free_or_wanted_and_never_more_than_a_pool_wants() {
    each_case(|free, claims, seed| {
        let wanted: u64 = claims.iter().map(|c| u64::from(c.want)).sum();
        for strategy in ALL {
            let grants = allocate(strategy, free, claims);
            assert_eq!(grants.len(), claims.len());
            let given: u64 = grants.iter().map(|&g| u64::from(g)).sum();
            assert_eq!(
                given,
                wanted.min(u64::from(free)),
                "{strategy:?} seed {seed}"
            );
            for (grant, claim) in grants.iter().zip(claims) {
                assert!(grant <= &claim.want, "{strategy:?} seed {seed}: {grants:?}");
            }
            assert_eq!(grants, allocate(strategy, free, claims), "deterministic");
        }
    });
}

#[test]
fn round_robin_gives_every_pool_with_demand_a_device_when_there_are_enough() {
    each_case(|free, claims, seed| {
        let with_demand = claims.iter().filter(|c| c.want > 0).count() as u32;
        if free < with_demand {
            return;
        }
        let grants = allocate(Strategy::RoundRobin, free, claims);
        for (grant, claim) in grants.iter().zip(claims) {
            assert!(claim.want == 0 || *grant >= 1, "seed {seed}: {grants:?}");
        }
        // Fair: no two wanting pools differ by more than one unless the smaller is full.
        for (a, ca) in grants.iter().zip(claims) {
            for (b, _) in grants.iter().zip(claims) {
                assert!(*a == ca.want || a + 1 >= *b, "seed {seed}: {grants:?}");
            }
        }
    });
}

#[test]
fn priority_never_serves_a_lower_pool_while_a_higher_one_wants_more() {
    each_case(|free, claims, seed| {
        let grants = allocate(Strategy::Priority, free, claims);
        for (low, low_claim) in grants.iter().zip(claims) {
            for (high, high_claim) in grants.iter().zip(claims) {
                if *low > 0 && high_claim.priority > low_claim.priority {
                    assert_eq!(*high, high_claim.want, "seed {seed}: {grants:?}");
                }
            }
        }
    });
}

#[test]
fn proportional_stays_within_one_of_each_exact_quota() {
    each_case(|free, claims, seed| {
        let total: u64 = claims.iter().map(|c| u64::from(c.want)).sum();
        if u64::from(free) >= total {
            return;
        }
        let grants = allocate(Strategy::Proportional, free, claims);
        for (grant, claim) in grants.iter().zip(claims) {
            let exact = f64::from(free) * f64::from(claim.want) / total as f64;
            assert!(
                f64::from(*grant) >= exact.floor() && f64::from(*grant) <= exact.ceil(),
                "seed {seed}: {grants:?} quota {exact}"
            );
        }
    });
}

#[test]
fn weighted_meets_every_minimum_it_can() {
    each_case(|free, claims, seed| {
        let minimums: u32 = claims.iter().map(|c| c.minimum.min(c.want)).sum();
        if free < minimums {
            return;
        }
        let grants = allocate(Strategy::Weighted, free, claims);
        for (grant, claim) in grants.iter().zip(claims) {
            assert!(
                *grant >= claim.minimum.min(claim.want),
                "seed {seed}: {grants:?}"
            );
        }
    });
}

#[test]
fn each_strategy_on_one_hand_computed_case() {
    // Seven free devices; pools want 4, 6 and 2 (12 in all).
    let mut claims = wanting(&[4, 6, 2]);
    claims[0].priority = 1;
    claims[2].priority = 5;
    claims[0].weight = 1;
    claims[1].weight = 3;
    claims[1].minimum = 1;
    claims[2].minimum = 2;
    // Priority: c (5) takes 2, a (1) takes 4, b (0) the last 1.
    assert_eq!(allocate(Strategy::Priority, 7, &claims), [4, 1, 2]);
    // Round-robin: a b c a b c a.
    assert_eq!(allocate(Strategy::RoundRobin, 7, &claims), [3, 2, 2]);
    // Proportional: 7×4/12 = 2.33, 7×6/12 = 3.5, 7×2/12 = 1.17 → 2 3 1, then b's .5.
    assert_eq!(allocate(Strategy::Proportional, 7, &claims), [2, 4, 1]);
    // Weighted: minimums 0 1 2, then 4 left by weights 1:3 (c is full): 1 and 3.
    assert_eq!(allocate(Strategy::Weighted, 7, &claims), [1, 4, 2]);
}

#[test]
fn enough_devices_meets_every_want_whatever_the_strategy() {
    for strategy in ALL {
        assert_eq!(allocate(strategy, 20, &wanting(&[3, 0, 5])), [3, 0, 5]);
    }
}

#[test]
fn largest_remainder_sums_exactly_and_breaks_ties_by_order() {
    assert_eq!(share_largest_remainder(10, &[1, 1, 1]), [4, 3, 3]);
    assert_eq!(share_largest_remainder(0, &[1, 2]), [0, 0]);
    assert_eq!(share_largest_remainder(5, &[0, 0]), [0, 0]);
    assert_eq!(
        share_largest_remainder(u32::MAX, &[u64::MAX, 1])
            .iter()
            .map(|&g| u64::from(g))
            .sum::<u64>(),
        u64::from(u32::MAX)
    );
}

#[test]
fn the_explanation_names_the_rule_and_the_numbers() {
    let claims = wanting(&[4, 6, 2]);
    let grants = allocate(Strategy::Proportional, 7, &claims);
    let line = explain_grant(Strategy::Proportional, 7, &claims, &grants, 1);
    assert_eq!(
        line,
        "group share = 4 of 7 free (pools want 12 in all; proportional): want 6, \
         exact quota 7×6/12 = 3.50, rounded by largest remainder"
    );
    let line = explain_grant(Strategy::Priority, 20, &claims, &[4, 6, 2], 0);
    assert!(
        line.ends_with("enough for every pool, want 4 met"),
        "{line}"
    );
}

/// Free devices; two pools' wants, minimums and weights; the pool explained, its grant and how
/// its line ends.
type WeightedCase = (u32, [u32; 2], [u32; 2], [u32; 2], usize, u32, &'static str);

#[test]
fn a_weighted_explanation_says_what_the_pool_got_and_why() {
    let cases: [WeightedCase; 2] = [
        // Minimums 3 and 3 of 4 free: more than are free, shared 2 and 2.
        (
            4,
            [5, 5],
            [3, 3],
            [1, 1],
            0,
            2,
            "want 5, got 2 for min_devices 3: the pools' minimums (6 in all) exceed the 4 \
             free, so they are shared in proportion to the minimums",
        ),
        // Minimums 1 and 1 of 7 free, weights 1 and 3: 5 left, b gets 4 of them.
        (
            7,
            [4, 6],
            [1, 1],
            [1, 3],
            1,
            5,
            "want 6, got min_devices 1 first, then 4 more by weight 3 of the 5 left after every \
             pool's minimum",
        ),
    ];
    for (free, wants, minimums, weights, index, grant, ending) in cases {
        let mut claims = wanting(&wants);
        for (claim, (minimum, weight)) in claims.iter_mut().zip(minimums.into_iter().zip(weights)) {
            claim.minimum = minimum;
            claim.weight = weight;
        }
        let grants = allocate(Strategy::Weighted, free, &claims);
        assert_eq!(grants[index], grant, "{grants:?}");
        let line = explain_grant(Strategy::Weighted, free, &claims, &grants, index);
        assert!(line.ends_with(ending), "{line}");
        assert!(!line.contains("guaranteed"), "{line}");
    }
}
