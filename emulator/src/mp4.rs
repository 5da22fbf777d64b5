//! Just enough MP4 to join H.264 clips: read the samples of our own media segments (made by
//! media/make-media.sh with identical encoder settings) and write one progressive MP4.

/// One video track: its sample description, its timescale, and its samples.
#[derive(Clone, Debug)]
pub struct Clip {
    pub stsd: Vec<u8>,
    pub timescale: u32,
    pub width: u32,
    pub height: u32,
    /// (data, duration in timescale units, is a sync sample)
    pub samples: Vec<(Vec<u8>, u32, bool)>,
}

impl Clip {
    pub fn duration(&self) -> u64 {
        self.samples.iter().map(|s| u64::from(s.1)).sum()
    }
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The boxes directly inside `data`: (type, whole box including header).
fn boxes(data: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(size) = u32_at(data, at) {
        let size = size as usize;
        let (Some(kind), true) = (
            data.get(at + 4..at + 8),
            size >= 8 && at + size <= data.len(),
        ) else {
            break;
        };
        let mut k = [0; 4];
        k.copy_from_slice(kind);
        out.push((k, &data[at..at + size]));
        at += size;
    }
    out
}

fn child<'a>(data: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    boxes(data)
        .into_iter()
        .find(|(k, _)| k == kind)
        .map(|(_, b)| b)
}

/// The payload of a box found by path, skipping each container's 8-byte header.
fn find<'a>(data: &'a [u8], path: &[&[u8; 4]]) -> Option<&'a [u8]> {
    path.iter()
        .try_fold(data, |d, kind| child(d, kind).map(|b| &b[8..]))
}

/// Entries of a full box table (version+flags, count, then `width`-word entries).
fn table(payload: &[u8], words: usize) -> Option<Vec<Vec<u32>>> {
    let count = u32_at(payload, 4)? as usize;
    (0..count)
        .map(|i| {
            (0..words)
                .map(|w| u32_at(payload, 8 + (i * words + w) * 4))
                .collect()
        })
        .collect()
}

pub fn read(file: &[u8]) -> Option<Clip> {
    let stbl = find(file, &[b"moov", b"trak", b"mdia", b"minf", b"stbl"])?;
    let mdhd = find(file, &[b"moov", b"trak", b"mdia", b"mdhd"])?;
    let tkhd = find(file, &[b"moov", b"trak", b"tkhd"])?;
    let timescale = u32_at(mdhd, 12)?;
    let (width, height) = (u32_at(tkhd, 76)? >> 16, u32_at(tkhd, 80)? >> 16);
    let stsd = child(stbl, b"stsd")?.to_vec();
    let durations: Vec<u32> = table(&child(stbl, b"stts")?[8..], 2)?
        .iter()
        .flat_map(|e| std::iter::repeat_n(e[1], e[0] as usize))
        .collect();
    let sizes: Vec<u32> = {
        let p = &child(stbl, b"stsz")?[8..];
        let (fixed, count) = (u32_at(p, 4)?, u32_at(p, 8)? as usize);
        (0..count)
            .map(|i| {
                if fixed != 0 {
                    Some(fixed)
                } else {
                    u32_at(p, 12 + i * 4)
                }
            })
            .collect::<Option<_>>()?
    };
    let syncs: Option<Vec<u32>> = child(stbl, b"stss")
        .and_then(|b| table(&b[8..], 1))
        .map(|t| t.into_iter().map(|e| e[0]).collect());
    let chunks: Vec<u32> = table(&child(stbl, b"stco")?[8..], 1)?
        .into_iter()
        .map(|e| e[0])
        .collect();
    let runs = table(&child(stbl, b"stsc")?[8..], 3)?;
    let mut samples = Vec::with_capacity(sizes.len());
    let mut n = 0usize;
    for (ci, &offset) in chunks.iter().enumerate() {
        let chunk_no = ci as u32 + 1;
        let per_chunk = runs.iter().rev().find(|r| r[0] <= chunk_no)?[1];
        let mut at = offset as usize;
        for _ in 0..per_chunk {
            let size = *sizes.get(n)? as usize;
            let data = file.get(at..at + size)?.to_vec();
            let sync = syncs.as_ref().is_none_or(|s| s.contains(&(n as u32 + 1)));
            samples.push((data, *durations.get(n)?, sync));
            at += size;
            n += 1;
        }
    }
    Some(Clip {
        stsd,
        timescale,
        width,
        height,
        samples,
    })
}

/// The decoder configuration (`avcC`) inside a sample description; bitrate boxes may differ.
fn decoder_config(stsd: &[u8]) -> Option<&[u8]> {
    let at = stsd.windows(4).position(|w| w == b"avcC")?.checked_sub(4)?;
    stsd.get(at..at + u32_at(stsd, at)? as usize)
}

/// Clips played one after another (they must share their decoder configuration).
pub fn join(clips: &[&Clip]) -> Option<Clip> {
    let first = clips.first()?;
    let config = decoder_config(&first.stsd)?;
    let mut out = Clip {
        samples: Vec::new(),
        ..(*first).clone()
    };
    for c in clips {
        if decoder_config(&c.stsd) != Some(config) || c.timescale != first.timescale {
            return None;
        }
        out.samples.extend(c.samples.iter().cloned());
    }
    Some(out)
}

fn bx(kind: &[u8; 4], parts: &[&[u8]]) -> Vec<u8> {
    let len: usize = parts.iter().map(|p| p.len()).sum::<usize>() + 8;
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&(len as u32).to_be_bytes());
    out.extend_from_slice(kind);
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

fn words(ws: &[u32]) -> Vec<u8> {
    ws.iter().flat_map(|w| w.to_be_bytes()).collect()
}

const MATRIX: [u32; 9] = [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x4000_0000];

/// A progressive MP4 (moov before mdat) with one chunk holding every sample.
pub fn write(clip: &Clip) -> Vec<u8> {
    let media_duration = clip.duration() as u32;
    let ms = (clip.duration() * 1000 / u64::from(clip.timescale.max(1))) as u32;
    let n = clip.samples.len() as u32;
    let mut stts: Vec<u32> = vec![0];
    for s in &clip.samples {
        let len = stts.len();
        if len >= 3 && stts[len - 1] == s.1 {
            stts[len - 2] += 1;
        } else {
            stts.extend([1, s.1]);
        }
    }
    stts[0] = (stts.len() as u32 - 1) / 2;
    let syncs: Vec<u32> = clip
        .samples
        .iter()
        .enumerate()
        .filter(|(_, s)| s.2)
        .map(|(i, _)| i as u32 + 1)
        .collect();
    let sizes: Vec<u32> = clip.samples.iter().map(|s| s.0.len() as u32).collect();
    let ftyp = bx(
        b"ftyp",
        &[b"isom", &512u32.to_be_bytes(), b"isomiso2avc1mp41"],
    );
    let moov_with = |offset: u32| {
        let stbl = bx(
            b"stbl",
            &[
                &clip.stsd,
                &bx(b"stts", &[&[0; 4], &words(&stts)]),
                &bx(
                    b"stss",
                    &[&[0; 4], &words(&[syncs.len() as u32]), &words(&syncs)],
                ),
                &bx(b"stsc", &[&[0; 4], &words(&[1, 1, n, 1])]),
                &bx(b"stsz", &[&[0; 4], &words(&[0, n]), &words(&sizes)]),
                &bx(b"stco", &[&[0; 4], &words(&[1, offset])]),
            ],
        );
        let dinf = bx(
            b"dinf",
            &[&bx(
                b"dref",
                &[&[0; 4], &words(&[1]), &bx(b"url ", &[&[0, 0, 0, 1]])],
            )],
        );
        let minf = bx(
            b"minf",
            &[&bx(b"vmhd", &[&[0, 0, 0, 1], &[0; 8]]), &dinf, &stbl],
        );
        let hdlr = bx(b"hdlr", &[&[0; 8], b"vide", &[0; 12], b"VideoHandler\0"]);
        let mdhd = bx(
            b"mdhd",
            &[
                &[0; 4],
                &words(&[0, 0, clip.timescale, media_duration]),
                &[0x55, 0xc4, 0, 0],
            ],
        );
        let tkhd = bx(
            b"tkhd",
            &[
                &[0, 0, 0, 3],
                &words(&[0, 0, 1, 0, ms, 0, 0, 0, 0]),
                &words(&MATRIX),
                &words(&[clip.width << 16, clip.height << 16]),
            ],
        );
        let trak = bx(b"trak", &[&tkhd, &bx(b"mdia", &[&mdhd, &hdlr, &minf])]);
        let mvhd = bx(
            b"mvhd",
            &[
                &[0; 4],
                &words(&[0, 0, 1000, ms, 0x10000]),
                &[1, 0, 0, 0],
                &[0; 8],
                &words(&MATRIX),
                &[0; 24],
                &words(&[2]),
            ],
        );
        bx(b"moov", &[&mvhd, &trak])
    };
    let moov_len = moov_with(0).len();
    let data: Vec<u8> = clip
        .samples
        .iter()
        .flat_map(|s| s.0.iter().copied())
        .collect();
    let offset = (ftyp.len() + moov_len + 8) as u32;
    [ftyp, moov_with(offset), bx(b"mdat", &[&data])].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_rewrites_a_segment() {
        let clip = read(include_bytes!("../media/seg0.mp4")).expect("readable");
        assert_eq!(
            (clip.width, clip.height, clip.samples.len()),
            (256, 144, 24)
        );
        assert!(
            clip.samples[0].2 && !clip.samples[1].2,
            "one IDR at the start"
        );
        let again = read(&write(&clip)).expect("our own output reads back");
        assert_eq!(again.samples, clip.samples);
        assert_eq!(again.duration(), clip.duration());
    }
}

#[cfg(test)]
mod all_segments {
    #[test]
    fn every_segment_reads_and_they_join() {
        let clips = crate::media::load_clips();
        assert_eq!(clips.len(), 6);
        let all: Vec<&super::Clip> = clips.iter().collect();
        let joined = super::join(&all).expect("segments share their decoder configuration");
        assert_eq!(
            joined.duration(),
            clips.iter().map(super::Clip::duration).sum::<u64>()
        );
    }
}
