"""`shendu distill`: the documents' DistillationLoss against a hand computation, the teacher's
logits computed once and cached, a distilled run folder that loads and reproduces its metrics
beside its baseline, and bad input refused before anything is written."""

from __future__ import annotations

import csv
import json
import shutil
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import shendu
from shendu.compress.distill_report import distillation_verdict
from shendu.compress.teacher import (
    TEACHER_LOGITS,
    compatibility_problem,
    read_cached_logits,
    teacher_inputs,
    write_cached_logits,
)
from shendu.data.specs import ImageSpec, TextSpec
from shendu.data.tokenize import TokenizedTextDataset, build_tokenizer, encode
from shendu.runfolder import RunFolder
from shendu.train.distill import (
    DistillationLoss,
    LiveTeacherDataset,
    TeacherLogitsDataset,
    WithTeacher,
)
from tests.conftest import folder_digest, run_cli
from tests.test_cli import assert_clear_error

STUDENT = ["--student", "digits-mlp", "--set", "hidden=8", "--set", "epochs=2", "--set", "batch_size=128"]


# -- the loss -----------------------------------------------------------------------------------


def _by_hand(student: torch.Tensor, teacher: torch.Tensor, labels: torch.Tensor, temperature: float,
             alpha: float, smoothing: float = 0.0) -> torch.Tensor:
    """The documents' formula written out: KL(p || q) = sum p (log p - log q), averaged over the batch;
    the hard target puts 1 - eps + eps / C on the label and eps / C on every other class."""
    p = torch.exp(teacher / temperature) / torch.exp(teacher / temperature).sum(1, keepdim=True)
    log_q = student / temperature - torch.logsumexp(student / temperature, dim=1, keepdim=True)
    kl = (p * (torch.log(p) - log_q)).sum(1).mean()
    log_softmax = student - torch.logsumexp(student, dim=1, keepdim=True)
    target = torch.full_like(student, smoothing / student.shape[1])
    target[torch.arange(len(labels)), labels] += 1 - smoothing
    cross_entropy = -(target * log_softmax).sum(1).mean()
    return alpha * kl * temperature**2 + (1 - alpha) * cross_entropy


@pytest.mark.parametrize("temperature, alpha, smoothing",
                         [(4.0, 0.7, 0.0), (1.0, 0.3, 0.0), (2.5, 0.0, 0.0), (4.0, 1.0, 0.0), (10.0, 0.5, 0.0),
                          (4.0, 0.7, 0.1), (2.0, 0.0, 0.1), (3.0, 0.4, 0.9)])
def test_loss_is_the_documents_formula(temperature, alpha, smoothing):
    generator = torch.Generator().manual_seed(int(temperature * 10 + alpha * 100 + smoothing * 1000))
    student, teacher = torch.randn(16, 10, generator=generator) * 3, torch.randn(16, 10, generator=generator) * 3
    labels = torch.randint(0, 10, (16,), generator=generator)
    loss = DistillationLoss(temperature, alpha, smoothing)(student.double(), teacher.double(), labels)
    expected = _by_hand(student.double(), teacher.double(), labels, temperature, alpha, smoothing)
    assert torch.allclose(loss, expected, atol=1e-12)
    if alpha == 0:  # the student's own task loss: the teacher plays no part
        task_loss = torch.nn.CrossEntropyLoss(label_smoothing=smoothing)
        assert torch.allclose(loss, task_loss(student.double(), labels), atol=1e-12)
    if alpha == 1:  # the teacher alone: torch's batchmean KL, times T^2
        kl = F.kl_div(F.log_softmax(student.double() / temperature, 1), F.softmax(teacher.double() / temperature, 1),
                      reduction="batchmean")
        assert torch.allclose(loss, kl * temperature**2, atol=1e-12)


def test_the_loss_is_float32_under_bfloat16_autocast():
    """CPU autocast would run log_softmax in bfloat16 (3 significant digits); the loss and its
    gradient must be those of the same logits in float32."""
    generator = torch.Generator().manual_seed(3)
    teacher = torch.randn(64, 10, generator=generator) * 6
    student = (teacher + 0.1 * torch.randn(64, 10, generator=generator)).bfloat16()
    labels = teacher.argmax(1)
    grads = []
    for autocast in (True, False):
        logits = student.clone().requires_grad_(True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            loss = DistillationLoss(4.0, 0.7, 0.1)(logits, teacher, labels)
        assert loss.dtype == torch.float32
        loss.backward()
        grads.append(logits.grad.float())
    reference = _by_hand(student.double(), teacher.double(), labels, 4.0, 0.7, 0.1)
    assert torch.allclose(loss.double(), reference, atol=1e-5)
    torch.testing.assert_close(grads[0], grads[1])


def test_soft_term_gradient_is_hintons():
    """d(T^2 KL)/d(student logits) = T (softmax(s/T) - softmax(t/T)) / N (Hinton et al. 2015, eq. 2)."""
    temperature, generator = 4.0, torch.Generator().manual_seed(0)
    student = torch.randn(8, 5, generator=generator, dtype=torch.float64, requires_grad=True)
    teacher = torch.randn(8, 5, generator=generator, dtype=torch.float64)
    DistillationLoss(temperature, alpha=1.0)(student, teacher, torch.zeros(8, dtype=torch.long)).backward()
    expected = temperature * (F.softmax(student.detach() / temperature, 1) - F.softmax(teacher / temperature, 1)) / 8
    assert torch.allclose(student.grad, expected, atol=1e-12)


@pytest.mark.parametrize("temperature, alpha, smoothing",
                         [(0.0, 0.5, 0.0), (-1.0, 0.5, 0.0), (4.0, 1.5, 0.0), (4.0, -0.1, 0.0), (4.0, 0.7, 1.5),
                          (4.0, 0.7, -0.1)])
def test_loss_refuses_settings_out_of_range(temperature, alpha, smoothing):
    with pytest.raises(ValueError):
        DistillationLoss(temperature, alpha, smoothing)


# -- examples with their teacher's logits ----------------------------------------------------------

TEXTS = ["a moving and well acted film", "dull", "the plot was thin but the music was good", "bad film"]


def test_teacher_logits_travel_with_padded_text_batches():
    tokenizer = build_tokenizer(TEXTS * 2, kind="word", vocab_size=100, min_frequency=1)
    dataset = TokenizedTextDataset(encode(tokenizer, TEXTS, 50), np.array([1, 0, 1, 0]), texts=TEXTS)
    logits = torch.arange(8, dtype=torch.float32).reshape(4, 2)
    wrapped = TeacherLogitsDataset(dataset, logits)
    assert wrapped.lengths == dataset.lengths
    inputs, labels = wrapped.collate_fn([wrapped[2], wrapped[1]])
    assert isinstance(inputs, WithTeacher) and inputs.inputs.shape == (2, len(TEXTS[2].split()))
    assert torch.equal(inputs.teacher_logits, logits[[2, 1]]) and labels.tolist() == [1, 0]
    plain, plain_labels = wrapped.collate_fn([dataset[1], dataset[0]])  # validation batches stay (ids, label)
    assert isinstance(plain, torch.Tensor) and plain_labels.tolist() == [0, 1]


class _Augmented(torch.utils.data.Dataset):
    """Every read of an example gives a new random view of it (as augmentation does)."""

    def __len__(self):
        return 6

    def __getitem__(self, index):
        return torch.randn(4), index % 3


def test_a_live_teacher_reads_each_batch_as_the_student_sees_it():
    torch.manual_seed(0)
    teacher = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Dropout(0.5), torch.nn.Linear(8, 3))
    wrapped = LiveTeacherDataset(_Augmented(), teacher)
    assert not teacher.training and not any(p.requires_grad for p in teacher.parameters())
    inputs, labels = wrapped.collate_fn([wrapped[4], wrapped[0], wrapped[2]])
    assert isinstance(inputs, WithTeacher) and labels.tolist() == [1, 0, 2]
    with torch.no_grad():  # the soft targets of exactly these (augmented) inputs, no dropout
        assert torch.equal(inputs.teacher_logits, teacher(inputs.inputs))
    assert inputs.teacher_logits.grad_fn is None
    items = [wrapped[3], wrapped[5]]  # reading draws the augmentation's random numbers; collating draws none,
    state = torch.random.get_rng_state()  # so the student sees the images its baseline sees
    wrapped.collate_fn(items)
    assert torch.equal(torch.random.get_rng_state(), state)
    batch = [(torch.randn(4), 1)]
    plain, plain_labels = wrapped.collate_fn(batch)  # validation batches stay (inputs, label)
    assert isinstance(plain, torch.Tensor) and plain_labels.tolist() == [1]


def test_a_text_teacher_reads_the_raw_texts_with_its_own_tokenizer():
    student_tokenizer = build_tokenizer(TEXTS, kind="word", vocab_size=100, min_frequency=1)
    teacher_tokenizer = build_tokenizer(["film music plot", *TEXTS[::-1]], kind="word", vocab_size=100,
                                        min_frequency=1)
    train = TokenizedTextDataset(encode(student_tokenizer, TEXTS, 50), np.array([1, 0, 1, 0]), texts=TEXTS)
    spec = TextSpec(tokenizer="tokenizer.json", max_length=3, vocab_size=100)
    teacher = SimpleNamespace(spec=SimpleNamespace(input=spec), state=teacher_tokenizer)
    read = teacher_inputs(teacher, train)  # type: ignore[arg-type]
    expected = encode(teacher_tokenizer, TEXTS, 3)
    assert [list(ids) for ids in read.ids] == [list(ids) for ids in expected]
    assert read.labels.tolist() == [1, 0, 1, 0]
    assert [list(ids) for ids in read.ids] != [list(ids[:3]) for ids in train.ids]


def test_compatibility_names_both_sides():
    small = ImageSpec(channels=1, height=8, width=8, mean=(0.3,), std=(0.4,))
    large = ImageSpec(channels=1, height=28, width=28, mean=(0.1307,), std=(0.3081,))
    digits = [str(d) for d in range(10)]
    assert compatibility_problem(small, digits, small, digits) is None
    assert compatibility_problem(TextSpec("tokenizer.json", 128, 30522, True), ["negative", "positive"],
                                 TextSpec("tokenizer.json", 400, 20000), ["negative", "positive"]) is None
    inputs = compatibility_problem(small, digits, large, digits)
    assert "image 1x8x8" in inputs and "image 1x28x28" in inputs
    labels = compatibility_problem(small, digits, small, list("abcdefghij"))
    assert "0, 1, 2" in labels and "a, b, c" in labels


def test_cached_logits_are_used_only_for_the_same_teacher_and_examples(tmp_path):
    folder = RunFolder(tmp_path)
    logits = torch.randn(5, 3)
    metadata = {"format": "shendu-teacher-logits", "teacher_weights_sha256": "a" * 64, "examples": "5",
                "labels_sha256": "b" * 64}
    write_cached_logits(folder, logits, metadata)
    assert torch.equal(read_cached_logits(folder, metadata), logits)
    assert read_cached_logits(folder, {**metadata, "teacher_weights_sha256": "c" * 64}) is None
    assert read_cached_logits(folder, {**metadata, "labels_sha256": "d" * 64}) is None
    (tmp_path / TEACHER_LOGITS).write_bytes(b"not safetensors")
    assert read_cached_logits(folder, metadata) is None


def test_verdict_says_which_wins():
    assert "distillation wins" in distillation_verdict(0.99, 0.985, 0.98, 1000)
    assert "0.50 points below" in distillation_verdict(0.99, 0.985, 0.98, 1000)
    assert "(within 1 point)" in distillation_verdict(0.99, 0.985, 0.98, 1000)
    assert "the teacher did not help" in distillation_verdict(0.99, 0.97, 0.975, 1000)
    assert "(more than 1 point)" in distillation_verdict(0.99, 0.97, 0.975, 1000)
    assert "scores the same" in distillation_verdict(0.99, 0.981, 0.981, 1000)
    assert "`shendu train x`" in distillation_verdict(0.99, 0.98, None, 1000, "shendu train x")


# -- end to end -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def distilled(digits_run, tmp_path_factory):
    """digits-mlp (64 hidden units) distilled into digits-mlp with 8, and its baseline."""
    out = tmp_path_factory.mktemp("distilled")
    result = run_cli("distill", str(digits_run), *STUDENT, "--out", str(out), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (student,) = out.glob("digits-mlp-distilled-*")
    (baseline,) = out.glob("digits-mlp-baseline-*")
    return SimpleNamespace(student=student, baseline=baseline, stdout=" ".join(result.stdout.split()))


def test_distilled_run_loads_reproduces_and_names_its_teacher(digits_run, distilled):
    teacher_spec = json.loads((digits_run / "model.json").read_text())
    spec = json.loads((distilled.student / "model.json").read_text())
    variant = spec["variant"]
    assert variant["method"] == "distill" and variant["parent"] == str(digits_run) and variant["backend"] == "torch"
    assert variant["parent_weights_sha256"] == teacher_spec["weights_sha256"]
    details = variant["details"]
    assert (details["temperature"], details["alpha"], details["teacher_recipe"]) == (4.0, 0.7, "digits-mlp")
    assert (details["teacher_parameters"], details["student_parameters"]) == (4_810, 610)
    teacher_acc = json.loads((digits_run / "metrics.json").read_text())["test_acc"]
    assert details["teacher_test_metric"] == {"test_acc": teacher_acc}
    baseline_acc = json.loads((distilled.baseline / "metrics.json").read_text())["test_acc"]
    assert details["baseline_test_metric"] == {"test_acc": baseline_acc}
    predictor = shendu.load(distilled.student)
    assert predictor.spec.num_parameters == 610
    evaluation = predictor.evaluate()
    assert evaluation.reproduced and evaluation.data_changed is False
    assert shendu.load(distilled.baseline).evaluate().reproduced
    from safetensors import safe_open

    with safe_open(str(distilled.student / TEACHER_LOGITS), framework="pt") as f:
        assert f.metadata()["teacher_weights_sha256"] == teacher_spec["weights_sha256"]
        assert tuple(f.get_tensor("logits").shape) == (1257, 10)


def test_baseline_is_the_same_student_without_the_teacher(distilled):
    config = json.loads((distilled.student / "config.json").read_text())
    assert config == json.loads((distilled.baseline / "config.json").read_text())
    assert config["config"]["hidden"] == 8 and config["config"]["seed"] == 0
    assert "variant" not in json.loads((distilled.baseline / "model.json").read_text())
    report = (distilled.student / "report.md").read_text()
    student_acc = json.loads((distilled.student / "metrics.json").read_text())["test_acc"]
    command = "shendu train digits-mlp --set epochs=2 --set batch_size=128 --set hidden=8"
    for text in ("## Distillation", "temperature T = 4, alpha = 0.7", "1/7.9 of the teacher's 4,810",
                 f"{student_acc * 100:.2f}%", distilled.baseline.name, command, "The distilled student reaches"):
        assert text in report, text
    assert "test accuracy" in distilled.stdout and "The distilled student reaches" in distilled.stdout


def test_resume_reuses_the_cached_teacher_logits(distilled, tmp_path, monkeypatch):
    """An interrupted distillation (no weights, no metrics) resumes from its last checkpoint and
    reads the teacher's logits from its folder: the teacher is not run again."""
    import shendu.train.distill

    run = tmp_path / distilled.student.name
    shutil.copytree(distilled.student, run)
    for name in ("metrics.json", "model.safetensors", "model.json", "report.md"):
        (run / name).unlink()
    cached = (run / TEACHER_LOGITS).stat().st_mtime_ns

    def no_teacher(*args, **kwargs):
        raise AssertionError("the teacher ran again")

    monkeypatch.setattr(shendu.train.distill, "compute_teacher_logits", no_teacher)
    result = run_cli("distill", "--resume", str(run), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (run / TEACHER_LOGITS).stat().st_mtime_ns == cached
    assert "read from teacher_logits.safetensors" in json.loads((run / "model.json").read_text())["variant"]["details"][
        "teacher_logits"]
    assert shendu.load(run).evaluate().reproduced
    assert_clear_error(run_cli("distill", "--resume", str(run)), "already complete")


def test_a_live_teacher_trains_the_same_student_when_nothing_is_augmented(digits_run, distilled, tmp_path):
    """digits-mlp does not augment, so the teacher's live targets are its cached ones (up to the
    float rounding of another batch size) and the student trains to the cached student's weights."""
    from safetensors.torch import load_file

    result = run_cli("distill", str(digits_run), *STUDENT, "--teacher-logits", "live", "--no-baseline",
                     "--out", str(tmp_path), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (student,) = tmp_path.glob("digits-mlp-distilled-*")
    assert json.loads((student / "distill.json").read_text())["teacher_logits"] == "live"
    assert json.loads((student / "model.json").read_text())["variant"]["details"]["teacher_logits_mode"] == "live"
    assert "--teacher-logits live" in (student / "report.md").read_text()
    assert shendu.load(student).evaluate().reproduced
    live, cached = load_file(student / "model.safetensors"), load_file(distilled.student / "model.safetensors")
    for key in cached:
        torch.testing.assert_close(live[key], cached[key], atol=1e-4, rtol=1e-4)


# -- bad input: exit 2, nothing written ----------------------------------------------------------


def _edited(source, tmp_path, edit=None, drop=None):
    run = tmp_path / "teacher"
    shutil.copytree(source, run)
    if drop:
        (run / drop).unlink()
    if edit:
        spec = json.loads((run / "model.json").read_text())
        edit(spec)
        (run / "model.json").write_text(json.dumps(spec))
    return run


@pytest.mark.parametrize("case, args, fragments", [
    ("missing", ["{missing}", *STUDENT], ["no such folder"]),
    ("incomplete", ["{incomplete}", *STUDENT], ["not complete (no metrics.json)", "shendu train --resume"]),
    ("recipe", ["{teacher}", "--student", "digits-mlpp"], ["RECIPE must be one of", "Did you mean 'digits-mlp'"]),
    ("inputs", ["{teacher}", "--student", "mnist-cnn"], ["the teacher reads image 1x8x8",
                                                         "the student reads image 1x28x28"]),
    ("labels", ["{relabelled}", *STUDENT], ["the teacher's classes are zero, one", "the student's are 0, 1"]),
    ("temperature", ["{teacher}", *STUDENT, "--temperature", "0"], ["--temperature must be a positive number", "got 0"]),
    ("negative temperature", ["{teacher}", *STUDENT, "--temperature", "-2"], ["--temperature must be a positive"]),
    ("alpha", ["{teacher}", *STUDENT, "--alpha", "1.5"], ["--alpha must be in [0, 1]", "got 1.5"]),
    ("negative alpha", ["{teacher}", *STUDENT, "--alpha", "-0.1"], ["--alpha must be in [0, 1]"]),
    ("no student", ["{teacher}"], ["needs TEACHER_RUN and --student RECIPE"]),
    ("teacher logits", ["{teacher}", *STUDENT, "--teacher-logits", "sometimes"],
     ["--teacher-logits must be one of cached, live", "got 'sometimes'"]),
    ("bad set", ["{teacher}", "--student", "digits-mlp", "--set", "widht=3"], ["--set takes KEY=VALUE"]),
])
def test_bad_input_exits_2_and_writes_nothing(digits_run, tmp_path, case, args, fragments):
    names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    paths = {"teacher": digits_run, "missing": tmp_path / "nope",
             "incomplete": _edited(digits_run, tmp_path, drop="metrics.json") if case == "incomplete" else None,
             "relabelled": _edited(digits_run, tmp_path, edit=lambda m: m.update(labels=names))
             if case == "labels" else None}
    teacher = next((p for key, p in paths.items() if f"{{{key}}}" in args), None)
    before = folder_digest(teacher) if teacher is not None and teacher.exists() else None
    out = tmp_path / "out"
    filled = [str(paths[a[1:-1]]) if a.startswith("{") else a for a in args]
    assert_clear_error(run_cli("distill", *filled, "--out", str(out), "--no-progress"), *fragments)
    assert not out.exists()
    if before is not None:
        assert folder_digest(teacher) == before


def test_the_readme_command_parses_and_its_student_is_a_sixteenth_of_the_teacher(digits_run, tmp_path):
    """The README's distill line, its teacher swapped for the digits run: its options and
    settings are accepted, and it stops at the check that a digits teacher cannot read MNIST."""
    import re
    import shlex

    from shendu.models.mnist import mnist_net
    from shendu.recipes import RECIPES
    from tests.conftest import ROOT

    line = re.search(r"^shendu distill .*?(?=\s+#|$)", (ROOT / "README.md").read_text(), re.M).group(0)
    args = shlex.split(line)[2:]
    args[0] = str(digits_run)
    assert_clear_error(run_cli("distill", *args, "--out", str(tmp_path / "out")), "the student reads image 1x28x28")
    widths = dict(a.split("=") for a in args if "=" in a)
    student = sum(p.numel() for p in mnist_net(**{k: int(v) for k, v in widths.items()}).parameters())
    assert (student, RECIPES["mnist-cnn"].parameters) == (75_338, 1_199_882)


def test_alpha_zero_trains_exactly_the_baseline_with_its_label_smoothing(mnist_idx_dir, tmp_path):
    """mnist-cnn trains with label smoothing 0.1: the distillation loss's hard term is that same
    loss, so with alpha = 0 (no teacher term) the student's weights are the baseline's, bit for bit,
    and a teacher term (alpha > 0) moves them."""
    from safetensors.torch import load_file

    tiny = ["--set", f"data={mnist_idx_dir}", "--set", "val_size=100", "--set", "conv1=2", "--set", "conv2=4",
            "--set", "hidden=8", "--set", "epochs=1", "--set", "batch_size=100"]
    result = run_cli("train", "mnist-cnn", *tiny, "--out", str(tmp_path / "teacher"), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    (teacher,) = (tmp_path / "teacher").iterdir()
    weights = {}
    for alpha, baseline_flag in (("0", "--baseline"), ("0.5", "--no-baseline")):
        out = tmp_path / f"alpha-{alpha}"
        result = run_cli("distill", str(teacher), "--student", "mnist-cnn", *tiny, "--alpha", alpha, baseline_flag,
                         "--teacher-logits", "live", "--out", str(out), "--no-progress")
        assert result.returncode == 0, result.stdout + result.stderr
        (student,) = out.glob("mnist-cnn-distilled-*")
        details = json.loads((student / "model.json").read_text())["variant"]["details"]
        assert details["label_smoothing"] == 0.1
        report = (student / "report.md").read_text()
        assert "smooths the labels by 0.1" in report
        assert "val loss is the student's own task loss (cross-entropy with label smoothing 0.1)" in report
        weights[alpha] = load_file(student / "model.safetensors")
    (baseline_run,) = (tmp_path / "alpha-0").glob("mnist-cnn-baseline-*")
    baseline = load_file(baseline_run / "model.safetensors")
    assert all(torch.equal(weights["0"][key], baseline[key]) for key in baseline)
    # and it is scored as the baseline is: val_loss is the smoothed loss too (restore_best compares like with like)
    (student_zero,) = (tmp_path / "alpha-0").glob("mnist-cnn-distilled-*")
    val_losses = [[row["val_loss"] for row in csv.DictReader((run / "history.csv").open())]
                  for run in (baseline_run, student_zero)]
    assert val_losses[0] == val_losses[1] and len(val_losses[0]) == 1
    assert not all(torch.equal(weights["0.5"][key], baseline[key]) for key in baseline)
