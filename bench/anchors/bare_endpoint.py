"""Anchor a: `python -m bench.anchors.bare_endpoint PORT`. The intake POST with nothing of
intake behind it: FastAPI parses and validates the body as `PriorityRequestDetails` (the model
intake uses) and answers 202 with a body of the same shape, served by sosa.infra.serving (the
same uvicorn settings as every service). No authentication, no database, no Kafka."""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime

from fastapi import FastAPI, Response, status

from sosa.contracts.requests import PriorityRequestDetails
from sosa.contracts.states import RequestState
from sosa.infra.serving import serve
from sosa.intake.commands.answers import SubmissionAccepted

app = FastAPI()


@app.post(
    "/v1/priority-requests",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SubmissionAccepted,
)
async def submit(details: PriorityRequestDetails, response: Response) -> SubmissionAccepted:
    request_id = f"req-{uuid.uuid4().hex}"
    response.headers["Location"] = f"/v1/priority-requests/{request_id}"
    return SubmissionAccepted(
        request_id=request_id,
        command_id=str(uuid.uuid4()),
        state=RequestState.RECEIVED,
        received_at=datetime.now(UTC),
        links={"self": f"/v1/priority-requests/{request_id}"},
    )


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    return {"status": "ready"}


if __name__ == "__main__":
    sys.exit(serve(app, host="127.0.0.1", port=int(sys.argv[1])))
