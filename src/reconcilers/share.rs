//! Sharing a budget out between entries that want some of it: one at a time, round-robin, so
//! no entry starves another. Pure.

/// Hands out `total` one at a time to each still-wanting entry in turn.
pub fn share_round_robin(total: u32, wants: &[u32]) -> Vec<u32> {
    let mut grants = vec![0; wants.len()];
    let mut left = total;
    while left > 0 {
        let mut gave = false;
        for (grant, want) in grants.iter_mut().zip(wants) {
            if left > 0 && *grant < *want {
                *grant += 1;
                left -= 1;
                gave = true;
            }
        }
        if !gave {
            break;
        }
    }
    grants
}
