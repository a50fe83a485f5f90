#!/usr/bin/env python3
"""An Aura worker (AGENT=worker) in Python 3.9+, standard library only.

Claims runs from Aura, plays the demo script on each (thought, plan_step, tool_execution, an approval
for send_email, then the email, content and finish) one step at a time; a run whose metadata names
{"recipients": [...]} asks for one approval per recipient in one step and handles each decision
(approved, edited, responded), and renews its lease while it
works. Every step carries the new state, so whichever worker gets the run next (after an approval, or
after this one died) continues from the last step Aura wrote.

    AURA_URL=http://localhost:3000 AURA_WORKER_TOKEN=$(npm run --silent token -- --worker) python3 worker.py

Optional: AURA_STEP_DELAY (seconds between steps, default 0.3), AURA_RENEW_SECONDS (lease renewal
interval, default 1.0: keep it under a third of RUN_LEASE_MS), AURA_WAIT_SECONDS (long poll, default 20).
Stops on SIGINT/SIGTERM.
"""
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request

AURA_URL = os.environ.get("AURA_URL", "http://localhost:3000").rstrip("/")
TOKEN = os.environ.get("AURA_WORKER_TOKEN", "")
STEP_DELAY = float(os.environ.get("AURA_STEP_DELAY", "0.3"))
RENEW_SECONDS = float(os.environ.get("AURA_RENEW_SECONDS", "1.0"))
WAIT_SECONDS = float(os.environ.get("AURA_WAIT_SECONDS", "20"))

EMAIL = {"to": "owner@example.com", "subject": "3 open incidents need attention", "body": "INC-101, INC-107, INC-112 are open."}
# The tool's parameters as a JSON Schema: Aura checks an approver's edits against it, and UIs build their edit form from it.
EMAIL_SCHEMA = {
    "type": "object",
    "properties": {"to": {"type": "string"}, "subject": {"type": "string"}, "body": {"type": "string"}},
    "required": ["to", "subject", "body"],
    "additionalProperties": False,
}


def recipients(run):
    """Whom to mail: the run's metadata {"recipients": [...]} when it names some, else the owner."""
    named = (run.get("metadata") or {}).get("recipients")
    return named if isinstance(named, list) and named and all(isinstance(r, str) for r in named) else [EMAIL["to"]]


def ask_approvals(run):
    """One approval per recipient, all in this one step (Aura 1.3: `approvals`, one group; a lone one as `approval`)."""
    asks = [
        {
            "toolName": "send_email",
            "params": dict(EMAIL, to=to),
            "message": f"The agent wants to send an email to {to}. Approve?",
            "paramsSchema": EMAIL_SCHEMA,
            "allowedDecisions": ["approve", "edit", "reject", "respond"],
        }
        for to in recipients(run)
    ]
    return {"events": [], "approval": asks[0]} if len(asks) == 1 else {"events": [], "approvals": asks}


def send_mails(run):
    """After the group was decided: each approved mail goes out (with the approver's edits), each responded one is not sent."""
    decisions = run.get("decisions") or ([run["decision"]] if run.get("decision") else [])
    events = []
    for i, d in enumerate(decisions, 1):
        tool_id = "tool-2" if i == 1 else f"tool-2-{i}"
        if d.get("status") == "responded":
            events.append({"type": "thought", "data": {"content": f"The approver replied instead of a mail to {d['params'].get('to')}: {d.get('response', '')}"}})
            events.append({"type": "tool_execution", "data": {"id": tool_id, "toolName": "send_email", "status": "cancelled", "error": "Not sent: the approver replied instead"}})
            continue
        params = d.get("editedParams") or d.get("params") or EMAIL
        events.append({"type": "tool_execution", "data": {"id": tool_id, "toolName": "send_email", "status": "started", "params": {"to": params.get("to")}}})
        events.append({"type": "tool_execution", "data": {"id": tool_id, "toolName": "send_email", "status": "completed", "result": {"messageId": f"msg-{i}"}}})
    return {"events": events}

# The demo script: one entry per step. The state a step stores is the index of the next entry.
SCRIPT = [
    lambda run: {"events": [{"type": "thought", "data": {"content": "Analyzing the request: " + (run["prompt"] or "summarize the open incidents and notify the owner")}}]},
    lambda run: {"events": [{"type": "plan_step", "data": {"id": "step-1", "title": "Gather the open incidents", "status": "in_progress"}}]},
    lambda run: {"events": [{"type": "tool_execution", "data": {"id": "tool-1", "toolName": "search_incidents", "status": "started", "params": {"state": "open", "limit": 5}}}]},
    lambda run: {"events": [{"type": "tool_execution", "data": {"id": "tool-1", "toolName": "search_incidents", "status": "completed", "result": {"count": 3, "ids": ["INC-101", "INC-107", "INC-112"]}}}]},
    lambda run: {"events": [{"type": "plan_step", "data": {"id": "step-1", "title": "Gather the open incidents", "status": "completed"}}]},
    lambda run: {"events": [{"type": "plan_step", "data": {"id": "step-2", "title": "Notify the incident owner", "status": "in_progress"}}]},
    ask_approvals,
    send_mails,
    lambda run: {"events": [{"type": "plan_step", "data": {"id": "step-2", "title": "Notify the incident owner", "status": "completed"}}]},
    lambda run: {"events": [{"type": "content", "data": {"content": "Task complete: 3 open incidents found and their owner notified."}}], "finish": "completed"},
]

stopping = threading.Event()
claiming = threading.Event()


class LeaseLost(Exception):
    """Aura answered 409: the run is no longer ours (lapsed, cancelled, ended). Drop it."""


def log(msg):
    print(f"[worker {os.getpid()}] {msg}", flush=True)


def call(path, body, timeout=10.0):
    """POSTs JSON to Aura; returns (status, parsed body or None). 409 raises LeaseLost."""
    req = urllib.request.Request(
        AURA_URL + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            raw = res.read()
            return res.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as err:
        if err.code == 409:
            raise LeaseLost(err.read().decode(errors="replace")) from None
        raise


def post_step(session_id, body, attempts=3):
    """Writes a step; on a lost answer posts the very same step again (expectedSeq makes that safe)."""
    for attempt in range(attempts):
        try:
            return call(f"/aura/worker/runs/{session_id}/steps", body)[1]
        except (urllib.error.URLError, OSError) as err:
            if isinstance(err, urllib.error.HTTPError) or attempt == attempts - 1:
                raise
            log(f"step of {session_id} failed ({err}); sending it again")
            time.sleep(0.5 * (attempt + 1))


def renew_loop(session_id, lease_id, lost, done):
    """Keeps the lease alive while the run is worked on; sets `lost` on a 409."""
    while not done.wait(RENEW_SECONDS):
        try:
            call(f"/aura/worker/runs/{session_id}/lease", {"leaseId": lease_id})
        except LeaseLost:
            lost.set()
            return
        except (urllib.error.URLError, OSError) as err:
            log(f"renewing {session_id} failed ({err}); retrying")


def serve(run):
    session_id, lease_id = run["sessionId"], run["leaseId"]
    position = run["state"] if isinstance(run.get("state"), int) else 0
    # The seq of the last event seen: sent with each step, so a step retried after a lost answer is
    # answered with its seq and never written twice (Aura 1.3; older servers ignore a missing one).
    seen = run.get("seq", 0)
    decision = run.get("decision")
    decided = " ".join(f"{d['status']} {d['requestId']}" for d in run.get("decisions") or ([decision] if decision else []))
    log(f"claimed {session_id} at step {position}" + (f" after {decided}" if decided else ""))
    lost, done = threading.Event(), threading.Event()
    renewer = threading.Thread(target=renew_loop, args=(session_id, lease_id, lost, done), daemon=True)
    renewer.start()
    try:
        while position < len(SCRIPT):
            time.sleep(STEP_DELAY)
            if lost.is_set():
                raise LeaseLost("lease lost while working")
            step = SCRIPT[position](run)
            position += 1
            result = post_step(session_id, {"leaseId": lease_id, "expectedSeq": seen, "state": position, **step})
            seen = result["seq"]
            if "approval" in step or "approvals" in step:
                log(f"{session_id} waits for a human (seq {result['seq']}); the run goes back to Aura")
                return
            if "finish" in step:
                log(f"{session_id} finished (seq {result['seq']})")
                return
    except LeaseLost as err:
        log(f"{session_id}: lease lost ({err}); dropping the run")
    finally:
        done.set()


def on_signal(signum, _frame):
    stopping.set()
    if claiming.is_set():
        raise SystemExit(0)  # only waiting for work: leave at once
    log("stopping after this step")


def main():
    if not TOKEN:
        sys.exit("AURA_WORKER_TOKEN is required (npm run --silent token -- --worker)")
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    log(f"serving {AURA_URL}")
    while not stopping.is_set():
        try:
            claiming.set()
            try:
                status, run = call("/aura/worker/claim", {"waitSeconds": WAIT_SECONDS}, timeout=WAIT_SECONDS + 10)
            finally:
                claiming.clear()
            if status == 200 and run:
                serve(run)
        except (urllib.error.URLError, OSError) as err:
            log(f"Aura unreachable ({err}); retrying in 1 s")
            time.sleep(1)
    log("stopped")


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        log("stopped")
        raise
