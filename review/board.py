"""The review board: Label Studio through `label-studio-sdk` only. Projects per draft kind, one task per draft
(idempotent), decisions read back with the service token, reviewer accounts through the invite link."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

import httpx
from label_studio_sdk import LabelStudio

from referral.config import Settings
from referral.network import Network
from referral.summary.drafts import TITLES, Draft, DraftKind
from review.labelconfig import IDENTITY_LABEL_CONFIG, LABEL_CONFIG, parse_annotation, prediction, source_text
from review.models import Decision, ReviewDecision, ReviewTaskRef

WEBHOOK_SECRET_HEADER = "X-Referral-Webhook-Secret"
WEBHOOK_ACTIONS = ["ANNOTATION_CREATED", "ANNOTATION_UPDATED"]
log = logging.getLogger(__name__)


def project_title(kind: str, identity: bool = False) -> str:
    korean, english = TITLES[DraftKind(kind)]
    prefix = "[환자 확인] " if identity else ""
    return f"{prefix}{korean} 검토 ({english})"[:50]  # Label Studio allows 50 characters


def review_projects() -> set[str]:
    """The titles of every review project this system makes (plain and identity-check twins)."""
    return {project_title(kind, identity) for kind in DraftKind for identity in (False, True)}


class ReviewBoard:
    def __init__(self, url: str, token: str, webhook_url: str | None = None, webhook_secret: str | None = None):
        self.url = url.rstrip("/")
        self.client = LabelStudio(base_url=self.url, api_key=token, timeout=30)
        self.webhook_url, self.webhook_secret = webhook_url, webhook_secret

    def project_for(self, kind: str, identity: bool = False) -> int:
        """The project of a draft kind; drafts of a referral with identity findings go to its twin, whose
        interface requires the reviewer's keep/remove mark before a submission."""
        title = project_title(kind, identity)
        projects: Any = self.client.projects.list()
        for project in projects:
            if project.title == title and project.id is not None:
                return project.id
        config = IDENTITY_LABEL_CONFIG if identity else LABEL_CONFIG
        created = self.client.projects.create(title=title, label_config=config, maximum_annotations=1,
                                              show_collab_predictions=True)  # fmt: skip
        assert created.id is not None
        if self.webhook_url and self.webhook_secret:
            self.client.webhooks.create(
                url=self.webhook_url, project=created.id, send_payload=True, send_for_all_actions=False,
                actions=WEBHOOK_ACTIONS, headers={WEBHOOK_SECRET_HEADER: self.webhook_secret},
            )  # fmt: skip
        return created.id

    def find_task(self, project_id: int, review_key: str) -> int | None:
        """The task made for this review key, if any: filtered by the board (one task, not the project's list: a
        project of N tasks would make task creation O(N), and a referral round O(N²) for the board)."""
        query = {"filters": {"conjunction": "and", "items": [
            {"filter": "filter:tasks:data.review_key", "operator": "equal", "type": "String", "value": review_key},
        ]}}  # fmt: skip
        tasks: Any = self.client.tasks.list(project=project_id, query=json.dumps(query), fields="task_only")
        for task in tasks:  # the filter narrows; the key is still compared here
            if (task.data or {}).get("review_key") == review_key and task.id is not None:
                return task.id
        return None

    def create_task(
        self, review_round: str, referral_id: str, draft_key: str, draft: Draft, pages: list[tuple[str, int, str]],
        identity: str | None = None, checks_image: str = "",
    ) -> ReviewTaskRef:  # fmt: skip
        """Idempotent: a task for the same draft in the same review round is found, not created again.
        `identity`: the referral's identity findings as text, shown first; the reviewer must mark them."""
        project_id = self.project_for(draft.kind, identity=identity is not None)
        review_key = f"{review_round}:{draft_key}"
        task_id = self.find_task(project_id, review_key)
        if task_id is None:
            source, offsets = source_text(pages)
            data = {"records": source, "title": draft.title, "review_key": review_key, "checks_image": checks_image}
            if identity is not None:
                data["identity"] = identity
            meta = {"workflow_id": referral_id, "draft_key": draft_key, "kind": str(draft.kind)}
            task = self.client.tasks.create(project=project_id, data=data, meta=meta)
            assert task.id is not None
            task_id = task.id
            predicted = prediction(draft, offsets, source)
            self.client.predictions.create(task=task_id, result=predicted["result"], model_version=draft.backend)
        return ReviewTaskRef(kind=str(draft.kind), task_id=task_id, project_id=project_id, draft_key=draft_key)

    def decisions(self, referral_id: str, tasks: list[ReviewTaskRef]) -> list[ReviewDecision]:
        """Submitted decisions on these tasks of this referral, read with the service token. A task counts only if
        this board holds it in the project, for the referral and the draft the workflow made it for, and an
        annotation only if it is on that task: what a webhook or a hint says is never taken as a decision."""
        found = []
        for ref in tasks:
            task: Any = self.client.tasks.get(id=str(ref.task_id))
            meta = task.meta or {}
            made_for = (ref.project_id, referral_id, ref.draft_key)
            if (task.project, meta.get("workflow_id"), meta.get("draft_key")) != made_for:
                log.warning("task %d is not the task the workflow made; its annotations are ignored", ref.task_id)
                continue
            for annotation in self.client.annotations.list(id=ref.task_id):
                if annotation.was_cancelled or annotation.id is None or annotation.task != ref.task_id:
                    continue
                decision = decision_from(annotation.id, ref.task_id, annotation.result or [], annotation.completed_by)
                if decision is not None:
                    found.append(decision)
        return found

    def updated_tasks(self, since: datetime) -> dict[str, list[int]]:
        """Tasks of this board's review projects changed since `since` (an annotation's save updates its task),
        by the referral (workflow id) they belong to: what the fleet reconciler pokes."""
        after = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        query = {"filters": {"conjunction": "and", "items": [
            {"filter": "filter:tasks:updated_at", "operator": "greater", "type": "Datetime", "value": after},
        ]}}  # fmt: skip
        changed: dict[str, list[int]] = {}
        projects: Any = self.client.projects.list()
        ours = review_projects()
        for project in projects:
            if project.id is None or project.title not in ours:
                continue
            tasks: Any = self.client.tasks.list(project=project.id, query=json.dumps(query), fields="task_only")
            for task in tasks:
                workflow_id = (task.meta or {}).get("workflow_id")
                if isinstance(workflow_id, str) and task.id is not None:
                    changed.setdefault(workflow_id, []).append(task.id)
        return changed

    def retire(self, task_ids: list[int]) -> int:
        """Delete the tasks that have no annotation (a decided task stays, with its decision). Idempotent."""
        from label_studio_sdk.core.api_error import ApiError

        retired = 0
        for task_id in task_ids:
            try:
                if any(True for _ in self.client.annotations.list(id=task_id)):
                    continue
                self.client.tasks.delete(id=str(task_id))
                retired += 1
            except ApiError as err:
                if err.status_code != 404:  # already gone: nothing to retire
                    raise
        return retired

    def reviewer(self, user_id: int) -> tuple[str, str]:
        user = self.client.users.get(id=user_id)
        name = " ".join(x for x in (user.last_name, user.first_name) if x) or (user.username or "")
        return user.email or "", name

    def invite_reviewer(self, email: str, password: str) -> None:
        """A clinician account through the invite link, so `completed_by` names who signed."""
        token = self.client._client_wrapper.get_headers()["Authorization"]
        invite = httpx.get(f"{self.url}/api/invite", headers={"Authorization": token}, timeout=30).json()
        with httpx.Client(base_url=self.url, follow_redirects=True, timeout=30) as web:
            web.get(invite["invite_url"])
            response = web.post(
                invite["invite_url"],
                data={"email": email, "password": password, "csrfmiddlewaretoken": web.cookies.get("csrftoken", "")},
                headers={"Referer": self.url + invite["invite_url"]},
            )
            if web.get("/api/current-user/whoami").status_code != 200:
                raise RuntimeError(f"reviewer sign-up failed ({response.status_code}): {_form_errors(response.text)}")


def decision_from(annotation_id: int, task_id: int, result: list[Any], reviewer_id: Any) -> ReviewDecision | None:
    parsed = parse_annotation(result)
    if parsed.get("decision") not in {d.value for d in Decision}:
        return None
    return ReviewDecision(
        annotation_id=annotation_id, task_id=task_id, decision=Decision(parsed["decision"]),
        final_text=parsed.get("final_text", ""), reason=parsed.get("reason"),
        identity=parsed.get("identity") if parsed.get("identity") in ("keep", "remove") else None,
        reviewer_id=reviewer_id if isinstance(reviewer_id, int) else None,
    )  # fmt: skip


def review_board(settings: Settings, org: str | None = None, network: Network | None = None) -> ReviewBoard:
    """The board where `org`'s clinicians review: the institution's own Label Studio when the network file names
    one (its clinicians have accounts there only, so they see only its tasks), else this deployment's board (a
    hospital's own deployment, or a demonstration stack). The service token is read when Label Studio is needed."""
    own = network.institution(org).review_board_url if network is not None and org is not None else None
    token = settings.label_studio_api_token(org if own else None)
    if token is None:
        where = (
            f"REFERRAL_LABEL_STUDIO_TOKENS__{org} or secrets/label-studio-token.{org}"
            if own
            else ("REFERRAL_LABEL_STUDIO_TOKEN or run `referral dev` once")
        )
        raise RuntimeError(f"no Label Studio token for {own or settings.label_studio_url}: set {where}")
    url = own or settings.label_studio_url
    return ReviewBoard(url, token, settings.review_webhook_url, settings.webhook_secret())


def review_boards(settings: Settings, network: Network) -> list[ReviewBoard]:
    """Every board of the network once: this deployment's and each institution's own (the fleet reconciler's)."""
    boards = {settings.label_studio_url.rstrip("/"): review_board(settings)}
    for code in sorted(network.institutions()):
        url = network.institution(code).review_board_url
        if url and url.rstrip("/") not in boards:
            boards[url.rstrip("/")] = review_board(settings, code, network)
    return list(boards.values())


def _form_errors(html: str) -> str:
    return "; ".join(re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]+)<', html))[:300] or "no detail"
