"""Probe for cues that carry over between the three Popeye clips (not part of the eval; numbers in RESULTS.md).

For every subtitle cue (one clip per cue, as `tessera eval vttwins --parts real` cuts them) it measures, from
4-fps 32x32 frames decoded by ffmpeg: motion energy (mean absolute frame difference), brightness and saturation;
from the caption: its word count and whether it is a [sound] tag. It prints, per video, the rank correlation of
each visual measure with the word count (a cue transfers only if the sign agrees across videos), and a
leave-one-video-out nearest-neighbour probe: a held-out caption scores a held-out clip by the visual similarity
of that clip to the training clips whose captions share words with it (Jaccard-weighted); ties get mid-ranks.

    python3 test/vttwins/cross-video-cues.py [/path/to/shared/data]
"""

import re
import subprocess
import sys

import numpy as np
from scipy.stats import spearmanr

ROOT = sys.argv[1] if len(sys.argv) > 1 else "../shared/data"
VIDEOS = ["popeye-p2", "popeye-p3", "popeye-p4"]
STOP = set("the a you i me to of my this that what is it and be are with for was on at in so".split())


def seconds(stamp):
    h, m, rest = stamp.split(":")
    s, ms = rest.split(",")
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def load(name):
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", f"{ROOT}/video/popeye/{name}.mkv", "-vf", "fps=4,scale=32:32",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        check=True, capture_output=True).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, 32, 32, 3).astype(float) / 255
    clips = []
    srt = open(f"{ROOT}/video/popeye/{name}.eng.srt", encoding="utf-8-sig").read().strip()
    for block in srt.split("\n\n"):
        lines = block.split("\n")
        start, end = (seconds(x) for x in lines[1].split(" --> "))
        text = re.sub("<[^>]+>", "", " ".join(lines[2:])).lower()
        f = frames[int(start * 4): max(int(end * 4), int(start * 4) + 2)]
        q = (f * 3.999).astype(int)
        hist = np.bincount((q[..., 0] * 16 + q[..., 1] * 4 + q[..., 2]).ravel(), minlength=64) / q[..., 0].size
        clips.append({
            "words": set(re.findall(r"[a-z']+", text)) - STOP,
            "count": len(text.split()),
            "tag": text.startswith("["),
            "motion": np.abs(np.diff(f, axis=0)).mean(),
            "brightness": f.mean(),
            "saturation": (f.max(-1) - f.min(-1)).mean(),
            "hist": hist,
        })
    return clips


def cosine(x, y):
    x, y = x - x.mean(), y - y.mean()
    return x @ y / (np.linalg.norm(x) * np.linalg.norm(y))


videos = {v: load(v) for v in VIDEOS}
for v, clips in videos.items():
    rho = {k: spearmanr([c["count"] for c in clips], [c[k] for c in clips])[0] for k in ("motion", "brightness", "saturation")}
    tags = {k: (np.mean([c[k] for c in clips if c["tag"]]), np.mean([c[k] for c in clips if not c["tag"]])) for k in ("motion",)}
    print(v, "rho(word count, ·):", {k: round(float(x), 2) for k, x in rho.items()},
          "motion tag/other: %.3f/%.3f" % tags["motion"])

ranks, chance_r1, chance_mdr = [], [], []
for held, test in videos.items():
    train = [c for v, clips in videos.items() if v != held for c in clips]
    for gold, q in enumerate(test):
        weights = [len(q["words"] & t["words"]) / max(1, len(q["words"] | t["words"])) for t in train]
        scores = np.array([sum(w * cosine(c["hist"], t["hist"]) for w, t in zip(weights, train)) for c in test])
        ranks.append(1 + np.sum(scores > scores[gold]) + (np.sum(scores == scores[gold]) - 1) / 2)
        chance_r1.append(1 / len(test))
        chance_mdr.append((len(test) + 1) / 2)
ranks = np.array(ranks)
print("nearest-neighbour probe over %d queries: R@1 %.1f %% (chance %.1f), R@5 %.1f %%, median rank %.1f (chance %.1f)"
      % (len(ranks), 100 * np.mean(ranks <= 1), 100 * np.mean(chance_r1), 100 * np.mean(ranks <= 5),
         np.median(ranks), np.mean(chance_mdr)))
