"""What a knowledge, training or webhook failure means for the user, said once, in their terms."""

from __future__ import annotations

from caigunn_provider.config import SETTLE_TIME, TRAINING_TIMEOUT
from caigunn_provider.errors import CaiGunnError


def file_changed(name: str, path: str) -> CaiGunnError:
    return CaiGunnError(
        f"{name}: {path} changed after this run planned its changes (its content no longer "
        "matches the digest the plan holds); nothing was uploaded. Run `pulumi up` again."
    )


def unreadable(name: str, path: str, exc: OSError) -> CaiGunnError:
    return CaiGunnError(f"{name}: cannot read {path} ({exc.strerror or exc}); nothing was uploaded")


def item_failed(name: str, what: str, detail: object) -> CaiGunnError:
    """A crawl or upload that CaiGunn reported failed: nothing of it is in the training data."""
    return CaiGunnError(
        f"{name}: CaiGunn could not {what}: {detail or 'no detail given'}. Nothing of it is in "
        "the training data, and the chatbot is not trained on it: run `pulumi up` again to try it "
        "once more (a crawl counts against the plan's crawler_limit)."
    )


def training_failed(entry: str, detail: object) -> CaiGunnError:
    return CaiGunnError(
        f"the training of chatbot entry '{entry}' failed: {detail or 'no detail given'}; "
        "the chatbot keeps answering with its previous model. Run `pulumi up` again to start a "
        "new training on the same rows (it counts against the plan's training_limit), once the "
        "cause is fixed"
    )


def event_forgotten(name: str, event_id: str) -> CaiGunnError:
    """CaiGunn answers 404 for a training's event (events may expire; how long they live is not
    documented): the next run looks for the model and trains again only if none is right."""
    return CaiGunnError(
        f"{name}: CaiGunn no longer knows the training's event {event_id} (it may have "
        "expired). Run `pulumi up` again: it uses the model if the training made one on exactly "
        "these rows, and starts a new training otherwise (which counts against the plan's "
        "training_limit)."
    )


def text_unclear(name: str, cause: CaiGunnError, rows: list[str]) -> CaiGunnError:
    """A text POST whose answer was lost while other text rows appeared: which is its own cannot
    be told, so nothing is posted again and no row is taken."""
    return CaiGunnError(
        f"{name}: CaiGunn may have added this text ({cause}), but {len(rows)} new text rows "
        f"appeared meanwhile ({', '.join(rows)}), so which one is this item's cannot be told. "
        "Delete the rows that are not wanted (`python -m caigunn_provider knowledge` lists them), "
        "then run `pulumi up` again."
    )


def job_answer_lost(name: str, what: str, cause: CaiGunnError) -> str:
    """A file's or website's POST whose answer was lost: recorded, never sent again this run."""
    return (
        f"{name}: CaiGunn may have started to {what} ({cause}); it is not sent again, and no "
        f"training starts until its rows are told. The next `pulumi up` waits until the "
        f"chatbot's rows stay as they are for {SETTLE_TIME[0]}, takes the new ones as this item's, "
        "and posts it again only if there are none."
    )


def job_rows_found(name: str, what: str, rows: list[str]) -> str:
    return f"{name}: the {what} whose answer was lost made {len(rows)} rows; they are this item's"


def job_made_nothing(name: str, what: str) -> str:
    return f"{name}: the {what} whose answer was lost made no row; it is posted again, once"


def delete_waits(name: str, what: str, timeout: float) -> CaiGunnError:
    """A delete that waited for the item's crawl or upload past the timeout."""
    return CaiGunnError(
        f"{name}: {what} had not ended after {timeout:g} s ({TRAINING_TIMEOUT[0]}), and the rows "
        "it makes would be left behind; the item stays in the state. Run the command again once "
        "it has ended: a delete is safe to repeat."
    )


def training_answer_lost(name: str, cause: CaiGunnError, timeout: float) -> CaiGunnError:
    """A training POST whose answer was lost, and whose model did not appear within the wait."""
    return CaiGunnError(
        f"{name}: CaiGunn may have started the training ({cause}), and no model of it appeared "
        f"within {timeout:g} s ({TRAINING_TIMEOUT[0]}). Run `pulumi up` again: it uses that "
        "model once it is listed, and starts a training only if none trained on exactly these "
        "rows exists (which counts against the plan's training_limit)."
    )


def trained_other_rows(name: str, model_id: str) -> CaiGunnError:
    """A training that used rows other than the declared ones: its model is not put into
    service (the chatbot keeps the model it had); the next run trains again."""
    return CaiGunnError(
        f"{name}: CaiGunn's training made model {model_id} from rows other than this stack's "
        "(another training of this chatbot ran at the same time, from another stack or the "
        "console, or rows were added meanwhile), so it was not put into service; the chatbot "
        "keeps its model. Run `pulumi up` again: it starts a new training on the declared rows "
        "(which counts against the plan's training_limit)."
    )


def wait_cut_off(name: str, what: str, cause: CaiGunnError) -> str:
    """The wait for background work failed (an outage, a refused poll): the work goes on."""
    return (
        f"{name}: the wait for {what} was cut off ({cause}); CaiGunn goes on with it. Run "
        "`pulumi up` again: it resumes waiting for the same one, at no extra cost (nothing is "
        "uploaded or trained again)."
    )


def still_running(name: str, what: str, timeout: float) -> str:
    return (
        f"{name}: {what} had not ended after {timeout:g} s ({TRAINING_TIMEOUT[0]}). It may still "
        "finish: the next `pulumi up` picks it up from where CaiGunn is, without starting it again."
    )


def progress(name: str, stage: str, elapsed: float) -> str:
    return f"{name}: {stage} ({elapsed:.0f} s)"
