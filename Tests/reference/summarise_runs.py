"""Prints the figures the docs quote from a set of cnn-inte interpretations: reads each
OUTPUT/interpretation/results.json (and, for the neighbour figure, instances.csv and
neighbours.csv) and prints a markdown table. Standard library only.

    python3 Tests/reference/summarise_runs.py OUTPUT...
"""
import csv
import json
import statistics
import sys


def load(output):
    with open(output + "/interpretation/results.json") as f:
        return json.load(f)


def neighbour_agreement(output):
    """For the test images the CNN gets wrong and those it gets right: the share whose
    5 nearest training images in the layer mostly (3 or more) get the CNN's prediction
    for the test image."""
    with open(output + "/interpretation/instances.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    predicted = {int(r["index"]): int(r["cnn_prediction"]) for r in rows}
    wrong = {int(r["index"]) for r in rows if r["cnn_prediction"] != r["true_label"]}
    same = {}
    try:
        with open(output + "/interpretation/neighbours.csv", newline="") as f:
            for r in csv.DictReader(f):
                i = int(r["index"])
                same[i] = same.get(i, 0) + (int(r["cnn_prediction"]) == predicted[i])
    except FileNotFoundError:
        return None
    mostly = {i for i, n in same.items() if n >= 3}
    right = set(predicted) - wrong
    return (len(wrong & mostly), len(wrong), len(right & mostly), len(right))


def vote_baselines(output):
    """What the credibility is measured against, from instances.csv: the expected
    calibration error of the forest's raw vote share for its decision (10 equal-width
    bins), and the AUROC of the vote margin (top share minus the second) for telling
    agreements from disagreements (ties count half)."""
    with open(output + "/interpretation/instances.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    shares, margins, agrees = [], [], []
    for r in rows:
        votes = sorted((float(v) for k, v in r.items() if k.startswith("vote_")), reverse=True)
        shares.append(float(r["vote_" + r["inte_prediction"]]))
        margins.append(votes[0] - (votes[1] if len(votes) > 1 else 0))
        agrees.append(r["agrees"] == "1")
    bins = [[] for _ in range(10)]
    for share, agree in zip(shares, agrees):
        bins[min(int(share * 10), 9)].append((share, agree))
    ece = sum(abs(sum(s for s, _ in b) / len(b) - sum(a for _, a in b) / len(b)) * len(b) for b in bins if b) / len(rows)
    good = [m for m, a in zip(margins, agrees) if a]
    bad = [m for m, a in zip(margins, agrees) if not a]
    auroc = None
    if good and bad:
        wins = sum((g > b) + 0.5 * (g == b) for g in good for b in bad)
        auroc = wins / (len(good) * len(bad))
    return ece, auroc


def unit_cards(output):
    try:
        with open(output + "/interpretation/units.json") as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def main(outputs):
    runs = [load(o) for o in outputs]
    def column(key):
        return [r[key] for r in runs if r.get(key) is not None]
    fidelity = [100 * x for x in column("fidelity")]
    gap = [100 * (r["cnn_test_accuracy"] - r["inte_test_accuracy"]) for r in runs]
    cnn = [100 * x for x in column("cnn_test_accuracy")]
    print(f"| figure | over {len(runs)} run{'s' if len(runs) > 1 else ''} |")
    print("| --- | --- |")
    print(f"| CNN test accuracy | {min(cnn):.2f}-{max(cnn):.2f}% |" if len(set(cnn)) > 1 else f"| CNN test accuracy | {cnn[0]:.2f}% |")
    if len(runs) > 1:
        print(f"| fidelity: mean, median, range | {statistics.mean(fidelity):.2f}%, {statistics.median(fidelity):.2f}%, "
              f"{min(fidelity):.2f}-{max(fidelity):.2f}% |")
        print(f"| runs at 99.0% fidelity or more | {sum(f >= 99.0 for f in fidelity)} |")
    else:
        print(f"| fidelity | {fidelity[0]:.2f}% |")
    print(f"| accuracy gap, CNN minus CNN-INTE (mean) | {statistics.mean(gap):.2f} points |")
    for key, name, digits in [("credibility_ece", "credibility ECE", 4), ("credibility_auroc", "credibility AUROC", 3),
                              ("selective_fidelity_95", "fidelity among the most credible 95%", 4),
                              ("selective_fidelity_98", "fidelity among the most credible 98%", 4)]:
        values = column(key)
        if values:
            scale = 100 if key.startswith("selective") else 1
            unit = "%" if scale == 100 else ""
            median = statistics.median(values) * scale
            print(f"| {name} (median{', lowest' if len(values) > 1 else ''}) | "
                  f"{median:.{digits - 2 if scale == 100 else digits}f}{unit}"
                  + (f", {min(values) * scale:.{digits - 2 if scale == 100 else digits}f}{unit}" if len(values) > 1 else "") + " |")
    unsure, cnn_right, inte_right, disagreements = 0, 0, 0, 0
    for o in outputs:
        with open(o + "/interpretation/instances.csv", newline="") as f:
            for r in csv.DictReader(f):
                if r["agrees"] == "1":
                    continue
                disagreements += 1
                unsure += float(r["cnn_probability"]) < 0.9
                cnn_right += r["cnn_prediction"] == r["true_label"]
                inte_right += r["inte_prediction"] == r["true_label"]
    if disagreements:
        print(f"| disagreements (all runs): the CNN's probability below 0.9 / the CNN right / CNN-INTE right | "
              f"{unsure} / {cnn_right} / {inte_right} of {disagreements} |")
    baselines = [vote_baselines(o) for o in outputs]
    eces = [b[0] for b in baselines]
    aurocs = [b[1] for b in baselines if b[1] is not None]
    print(f"| raw vote share's ECE, the baseline (median) | {statistics.median(eces):.4f} |")
    if aurocs:
        print(f"| vote margin's AUROC, the baseline (median{', lowest' if len(aurocs) > 1 else ''}) | {statistics.median(aurocs):.3f}"
              + (f", {min(aurocs):.3f}" if len(aurocs) > 1 else "") + " |")
    drops = [max((u.get("permutation") or 0) for c in cards for u in c["units"]) for cards in map(unit_cards, outputs) if cards]
    if drops:
        print(f"| largest agreement drop from shuffling one unit, over a run's forests (median{', highest' if len(drops) > 1 else ''}) | "
              f"{100 * statistics.median(drops):.1f} points" + (f", {100 * max(drops):.1f}" if len(drops) > 1 else "") + " |")
    if len(runs) == 1:
        counts = neighbour_agreement(outputs[0])
        if counts:
            wrong_mostly, wrong, right_mostly, right = counts
            print(f"| test images the CNN gets wrong whose 5 nearest training images mostly get its same prediction | "
                  f"{wrong_mostly} of {wrong} ({100 * wrong_mostly / max(wrong, 1):.0f}%) |")
            print(f"| the same for those it gets right | {right_mostly} of {right} ({100 * right_mostly / max(right, 1):.0f}%) |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: summarise_runs.py OUTPUT...")
    main(sys.argv[1:])
