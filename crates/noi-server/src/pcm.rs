//! PCM16 little-endian frames to samples, carrying an odd trailing byte into the next frame
//! (a client may split a sample across WebSocket frames).

#[derive(Debug, Default)]
pub struct Pcm16Decoder {
    carry: Option<u8>,
}

impl Pcm16Decoder {
    /// Samples in [-1, 1) of `bytes`, after any byte carried from the previous frame.
    pub fn decode(&mut self, bytes: &[u8]) -> Vec<f32> {
        let mut out = Vec::with_capacity(bytes.len() / 2 + 1);
        let mut rest = bytes;
        if let Some(low) = self.carry.take() {
            match rest.split_first() {
                Some((&high, tail)) => {
                    out.push(sample(low, high));
                    rest = tail;
                }
                None => {
                    self.carry = Some(low);
                    return out;
                }
            }
        }
        let mut pairs = rest.chunks_exact(2);
        out.extend(pairs.by_ref().map(|p| sample(p[0], p[1])));
        self.carry = pairs.remainder().first().copied();
        out
    }
}

fn sample(low: u8, high: u8) -> f32 {
    f32::from(i16::from_le_bytes([low, high])) / 32768.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(samples: &[i16]) -> Vec<u8> {
        samples.iter().flat_map(|s| s.to_le_bytes()).collect()
    }

    #[test]
    fn splits_anywhere_give_the_same_samples() {
        let samples: Vec<i16> = vec![0, 1, -1, 32767, -32768, 1234, -4321];
        let all = bytes(&samples);
        let expected: Vec<f32> = samples.iter().map(|&s| f32::from(s) / 32768.0).collect();
        for cut in 0..=all.len() {
            for cut2 in cut..=all.len() {
                let mut d = Pcm16Decoder::default();
                let mut got = d.decode(&all[..cut]);
                got.extend(d.decode(&all[cut..cut2]));
                got.extend(d.decode(&all[cut2..]));
                assert_eq!(got, expected, "cuts at {cut}, {cut2}");
            }
        }
    }

    #[test]
    fn lone_bytes_wait_for_their_pair() {
        let mut d = Pcm16Decoder::default();
        assert!(d.decode(&[0x34]).is_empty());
        assert!(d.decode(&[]).is_empty());
        assert_eq!(d.decode(&[0x12]), vec![f32::from(0x1234i16) / 32768.0]);
    }
}
