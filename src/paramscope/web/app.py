"""The FastAPI app: a JSON API whose every answer is the matching CLI command's ``--json`` object (plus a
``_cli`` block: the command line that reproduces it, its exit code and its stderr lines), and the page."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Body, Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from .runner import MAX_UPLOAD_HEADER_BYTES, ApiError, Runner

STATIC = Path(__file__).parent / "static"
MAX_TRACE_PAIRS = 100_000  # request-length pairs of one uploaded trace
MAX_BODY_BYTES = 4 * MAX_UPLOAD_HEADER_BYTES // 3 + 4096  # base64 of the largest header, plus the JSON around it
MAX_BATCHES = 32  # values in one perf batch list
MAX_COMPARE = 8  # models in one comparison
MAX_PLAN_CHOICES = 8  # GPU types / schemes / KV dtypes in one plan search
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")

# ------------------------------------------------------------------------------------------ request models
_TEXT = r"^[^\x00-\x1f\x7f]*$"  # no control characters
_NUM = r"^[0-9][0-9_,.]*(e[0-9]+)?[kKMGBT]?$"  # what the CLI's count parser reads (32k, 1.5T, 5.76e23)


def _num(desc: str, **kw):
    return Field(None, description=desc, max_length=32, pattern=_NUM, **kw)


def _txt(desc: str, default=None, max_length: int = 64):
    return Field(default, description=desc, max_length=max_length, pattern=_TEXT)


_MODEL = Field(..., description="catalog id (GET /api/models), hub id org/name (when the server allows the hub) or "
                                "upload:<id> (POST /api/upload); never a path", min_length=1, max_length=200,
               pattern=_TEXT)


class _Q(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _query(cls: type[_Q]):
    """The query string as ``cls``, validated by pydantic in one call (FastAPI's own per-field parsing of a
    query model costs ~1.5 ms a request, more than the analyses); invalid input is FastAPI's 422."""

    async def parse(request: Request) -> _Q:  # async: no thread-pool hop for a microsecond of work
        try:
            return cls.model_validate(dict(request.query_params))
        except ValidationError as exc:
            raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from None

    return Depends(parse)


def _query_doc(cls: type[_Q]) -> dict:
    """OpenAPI parameters for ``cls`` (what FastAPI writes for a query model), for routes that parse with _query."""
    schema = cls.model_json_schema()
    required = set(schema.get("required", ()))
    return {"parameters": [{"name": name, "in": "query", "required": name in required, "schema": prop,
                            **({"description": prop["description"]} if "description" in prop else {})}
                           for name, prop in schema["properties"].items()]}


class ParamsQuery(_Q):
    model: str = _MODEL
    by_layer: bool = Field(False, description="--by-layer: parameters per layer")
    tensors: bool = Field(False, description="--tensors: every stored tensor with its shape")


class _Deploy(_Q):
    """The shared deployment flags of memory, fit and perf (commands/__init__.py: add_deployment_args)."""
    gpu: str | None = _txt("--gpu: accelerator id (GET /api/hardware)")
    count: str | None = _num("--count: GPUs")
    tp: str | None = _num("--tp")
    pp: str | None = _num("--pp")
    dp: str | None = _num("--dp")
    ep: str | None = _num("--ep")
    engine: str | None = _txt("--engine: vllm | llama.cpp | transformers | tensorrt-llm")
    weights: str | None = _txt("--weights: native, bf16, fp8, Q4_K_M, ... (memory --list-schemes)")
    kv_dtype: str | None = _txt("--kv-dtype: auto, fp8, q8_0, ...")
    batch: str | None = Field(None, description="--batch (perf: a comma list of at most 32 values)", max_length=400,
                              pattern=r"^[0-9][0-9_.,]*[kKMGBT]?$")
    context: str | None = _num("--context (32k = 32,768)")
    prompt: str | None = _num("--prompt")
    gen: str | None = _num("--gen")
    prefill_chunk: str | None = _num("--prefill-chunk")
    gpu_memory_utilization: str | None = Field(None, description="--gpu-memory-utilization (vLLM)", max_length=16,
                                               pattern=r"^[0-9.]+$")
    max_num_seqs: str | None = _num("--max-num-seqs (vLLM)")
    max_num_batched_tokens: str | None = _num("--max-num-batched-tokens (vLLM)")
    n_ctx: str | None = _num("--n-ctx (llama.cpp)")
    n_gpu_layers: str | None = Field(None, description="--n-gpu-layers (llama.cpp)", max_length=8,
                                     pattern=r"^[0-9]+$")
    split_mode: Literal["layer", "row"] | None = Field(None, description="--split-mode (llama.cpp)")


class DeploymentQuery(_Deploy):
    model: str = _MODEL


class FitQuery(DeploymentQuery):
    gpu: str = Field(..., description="--gpu: accelerator id (GET /api/hardware)", min_length=1, max_length=64,
                     pattern=_TEXT)


class PerfQuery(FitQuery):
    bandwidth_efficiency: str | None = Field(None, max_length=16, pattern=r"^[0-9.]+$",
                                             description="--bandwidth-efficiency (0, 1]")
    compute_efficiency: str | None = Field(None, max_length=16, pattern=r"^[0-9.]+$",
                                           description="--compute-efficiency (0, 1]")


class TrainQuery(_Q):
    model: str = _MODEL
    tokens: str = Field(..., description="--tokens (k = 1,000; 2T = 2e12)", max_length=32, pattern=_NUM)
    gpu: str = Field(..., min_length=1, max_length=64, pattern=_TEXT, description="--gpu")
    count: str = Field(..., max_length=32, pattern=_NUM, description="--count: GPUs")
    mfu: str | None = Field(None, max_length=16, pattern=r"^[0-9.]+$", description="--mfu (0, 1]")
    gpu_hours: str | None = _num("--gpu-hours: back-solve the MFU")
    dtype: str | None = _txt("--dtype of the peak MFU is measured against", max_length=16)
    seq_len: str | None = _num("--seq-len")
    price_per_hour: str | None = Field(None, max_length=16, pattern=r"^[0-9.]+$", description="--price-per-hour USD")
    pue: str | None = Field(None, max_length=16, pattern=r"^[0-9.]+$", description="--pue")


class ScaleQuery(_Q):
    compute: str | None = _num("--compute: training FLOPs (5.76e23)")
    params: str | None = _num("--params: with tokens, predict the loss")
    tokens: str | None = _num("--tokens")
    inference_tokens: str | None = _num("--inference-tokens (with compute)")
    curve: bool = Field(False, description="also an iso-FLOP loss curve: `scale --params N --tokens C/6N` over N")


class CompareQuery(_Deploy):
    gpu: str = Field(..., description="--gpu: accelerator id (GET /api/hardware)", min_length=1, max_length=64,
                     pattern=_TEXT)
    models: str = Field(..., description=f"comma-separated model ids (at most {MAX_COMPARE})", min_length=1,
                        max_length=800, pattern=_TEXT)


class PlanQuery(_Q):
    """`paramscope plan`: lengths as a fixed pair, a lognormal spread, or an uploaded trace (trace=upload:ID)."""
    model: str = _MODEL
    rate: str | None = Field(None, max_length=16, pattern=r"^[0-9.]+(e[0-9]+)?$", description="--rate requests/s")
    concurrency: str | None = _num("--concurrency: closed-loop users")
    prompt: str | None = _num("--prompt tokens (median with prompt_spread)")
    gen: str | None = _num("--gen tokens")
    prompt_spread: str | None = Field(None, max_length=8, pattern=r"^[0-9.]+$", description="--prompt-spread sigma")
    gen_spread: str | None = Field(None, max_length=8, pattern=r"^[0-9.]+$", description="--gen-spread sigma")
    prefix_hit: str | None = Field(None, max_length=8, pattern=r"^[0-9.]+$", description="--prefix-hit (0-1)")
    ttft: str | None = Field(None, max_length=24, pattern=r"^(p[0-9.]+:)?[0-9.]+(ms|s)?$", description="--ttft p90:500ms")
    tpot: str | None = Field(None, max_length=24, pattern=r"^(p[0-9.]+:)?[0-9.]+(ms|s)?$", description="--tpot p99:50ms")
    e2e: str | None = Field(None, max_length=24, pattern=r"^(p[0-9.]+:)?[0-9.]+(ms|s)?$", description="--e2e p90:10s")
    tier: Literal["realtime", "near-realtime", "batch"] | None = Field(None, description="--tier")
    gpu: str | None = _txt("--gpu: GPU types, comma-separated (default: every priced GPU)", max_length=200)
    max_gpus: str | None = _num("--max-gpus")
    budget: str | None = Field(None, max_length=16, pattern=r"^[0-9.]+$", description="--budget USD per hour")
    weights: str | None = _txt("--weights: schemes to consider, comma-separated", max_length=200)
    kv_dtype: str | None = _txt("--kv-dtype: KV dtypes to consider, comma-separated", max_length=100)
    simulate: bool = Field(False, description="run the simulator (slower) instead of --no-simulate")
    sim_requests: str | None = Field(None, max_length=5, pattern=r"^[0-9]{1,4}$",
                                     description="--sim-requests (at most 9999)")
    trace: str | None = Field(None, max_length=23, pattern=r"^upload:[0-9a-f]{16}$",
                              description="--trace: the id of a trace uploaded with POST /api/upload (kind trace)")


class UploadPart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200, pattern=_TEXT, description="the file's name (split GGUF: PREFIX-00001-of-0000N.gguf)")
    header_b64: str = Field(max_length=MAX_BODY_BYTES, description="the file's header bytes, base64")
    size: int | None = Field(None, ge=0, le=2**41, description="the whole file's size in bytes")


class UploadBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["config", "safetensors", "gguf", "trace"]
    name: str = Field("", max_length=200, pattern=_TEXT, description="the original file name")
    config: dict[str, Any] | None = Field(None, description="kind config: the config.json object (kind safetensors "
                                                            "with parts: the checkpoint's config.json, optional)")
    header_b64: str | None = Field(None, max_length=MAX_BODY_BYTES,
                                   description="kind safetensors / gguf: the file's first bytes, base64 (safetensors: "
                                               "8-byte length + JSON header; GGUF: up to the end of the tensor index)")
    size: int | None = Field(None, ge=0, le=2**41, description="the whole file's size in bytes")
    parts: list[UploadPart] | None = Field(None, max_length=64,
                                           description="kind safetensors / gguf: several files as one model (the "
                                                       "shards of a checkpoint, the parts of a split GGUF)")
    trace: list[Annotated[list[Annotated[int, Field(ge=0, le=10**7)]], Field(min_length=2, max_length=2)]] | None = \
        Field(None, max_length=MAX_TRACE_PAIRS,
              description="kind trace: request lengths as [prompt tokens, output tokens] pairs (plan's --trace)")


# ------------------------------------------------------------------------------------------ response models
class CliBlock(BaseModel):
    command: str = Field(description="the paramscope command line that prints these numbers")
    exit_code: int
    stderr: list[str]


class _R(BaseModel):
    """Every answer: the command's --json object (extra fields allowed) and the `_cli` block."""
    model_config = ConfigDict(extra="allow")
    cli_: CliBlock = Field(alias="_cli")


class ParamsResponse(_R):
    total: int | None
    active: int | None
    effective: int | None
    by_role: dict[str, int]


class MemoryResponse(_R):
    total_bytes: int
    weights_bytes: int
    kv_cache_bytes: int
    activation_bytes: int
    overhead_bytes: int
    capacity_bytes: int | None
    fits: bool | None
    deployment: dict[str, Any]


class FitResponse(_R):
    fits: bool
    per_gpu_bytes: int
    capacity_bytes: int
    max_context: int | None
    max_batch: int | None
    fewest_gpus: int | None


class PerfResponse(_R):
    ttft_s: float
    tpot_s: float
    decode_tokens_per_s: float
    runs: list[dict[str, Any]]


class TrainResponse(_R):
    flops: float
    gpu_hours: float


class ScaleResponse(_R):
    notes: list[str]


class ModelsResponse(_R):
    models: list[dict[str, Any]]


class HardwareResponse(_R):
    hardware: list[dict[str, Any]]


class HardwareRecord(_R):
    id: str
    memory_bytes: int


class CompareResponse(_R):
    rows: list[dict[str, Any]]


class PlanResponse(_R):
    pareto: list[dict[str, Any]]


class UploadResponse(BaseModel):
    model: str = Field(description="the id to give as model=")
    name: str


class ErrorResponse(BaseModel):
    error: str
    exit_code: int | None = None
    command: str | None = None


ERRORS = {400: {"model": ErrorResponse, "description": "refused input (CLI exit code 2)"},
          404: {"model": ErrorResponse, "description": "no such upload or record"},
          409: {"model": ErrorResponse, "description": "does not fit (CLI exit code 4)"},
          413: {"model": ErrorResponse, "description": "request too large"},
          501: {"model": ErrorResponse, "description": "a missing optional dependency (CLI exit code 3)"}}


class QueryErrorResponse(BaseModel):
    detail: list[dict[str, Any]] = Field(description="pydantic's errors: type, loc, msg, input")


ERRORS[422] = {"model": QueryErrorResponse, "description": "a query parameter that is unknown or not valid"}


def _flags(q: BaseModel, skip: tuple[str, ...] = ()) -> list[str]:
    """Query fields -> CLI flags (``--name=value``, so a value can never be read as another flag)."""
    out = []
    for name, value in q.model_dump().items():
        if name in skip or value is None or value is False:
            continue
        flag = "--" + name.replace("_", "-")
        out.append(flag if value is True else f"{flag}={value}")
    return out


_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY")]


class _Guard:
    """Security headers on every response; request bodies bounded (Content-Length required for a body)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        limit = MAX_BODY_BYTES if scope.get("path") == "/api/upload" else 64 * 1024
        length = headers.get(b"content-length")
        problem = None
        if length is not None and (not length.isdigit() or int(length) > limit):
            problem = (413, f"request body over {limit:,} bytes")
        elif length is None and b"chunked" in headers.get(b"transfer-encoding", b""):
            problem = (411, "give a Content-Length")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *_HEADERS]}
            await send(message)

        if problem is not None:
            return await JSONResponse({"error": problem[1]}, status_code=problem[0])(scope, receive, send_with_headers)
        received = 0

        async def bounded_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise ApiError(413, f"request body over {limit:,} bytes")
            return message

        await self.app(scope, bounded_receive, send_with_headers)


def _json(code_and_text: tuple[int, str]) -> Response:
    return Response(code_and_text[1], media_type="application/json")


# ------------------------------------------------------------------------------------------ app
# Commands that answer in about a millisecond run in the event loop itself: a hop to the thread pool costs
# more than they do, and they hold the interpreter lock either way. The rest (perf grids, plans, comparisons,
# training plans) run in the thread pool so that one slow request never stalls the others.
INLINE_COMMANDS = frozenset({"params", "memory", "fit", "models", "hardware"})

DEFAULT_MODEL = "llama-2-7b"  # the page's model when its URL names none (static/app.js: state.model)
ENV_ALLOW_HUB = "PARAMSCOPE_SERVE_ALLOW_HUB"
ENV_UPLOADS = "PARAMSCOPE_SERVE_UPLOADS"


def app_from_env() -> FastAPI:
    """The app for each worker process of ``paramscope serve --workers N`` (uvicorn's factory): the serve
    command passes its options through the environment."""
    return create_app(allow_hub=os.environ.get(ENV_ALLOW_HUB) == "1",
                      upload_root=os.environ.get(ENV_UPLOADS) or None)


def create_app(*, allow_hub: bool = False, upload_root: str | None = None) -> FastAPI:
    from .. import __version__

    runner = Runner(allow_hub=allow_hub, upload_root=upload_root)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        # Warm up before the first visitor: load the catalog and import the analyses the page asks for first
        # (params, memory, fit), so a fresh server's first page costs what a warm one does.
        # The first page's own three questions (the default view's parameters with layers and tensors, the
        # model and hardware lists) are answered now and kept, exactly as the page will ask them.
        first_page = (["params", DEFAULT_MODEL, *_flags(ParamsQuery(model=DEFAULT_MODEL, by_layer=True, tensors=True),
                                                       ("model",))],
                      ["models", "--"], ["hardware", "--"])
        for argv in first_page:
            with contextlib.suppress(Exception):  # a warm-up must never stop the server; requests report errors
                runner.run(argv)
        for argv in (["memory", DEFAULT_MODEL], ["fit", DEFAULT_MODEL, "--gpu", "h100-sxm"]):
            with contextlib.suppress(Exception):
                runner.run(argv, cache=False)
        yield
        runner.close()  # the uploads' folder

    app = FastAPI(lifespan=lifespan, title="paramscope", version=__version__,
                  description="The paramscope CLI's --json answers over HTTP: each response is the object "
                              "`paramscope COMMAND ... --json` prints, plus `_cli` (the command line, exit code, "
                              "stderr). docs/json.md describes the fields.",
                  docs_url=None, redoc_url=None)
    app.state.runner = runner

    app.add_middleware(_Guard)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):  # e.g. a body that is not JSON
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError):
        return JSONResponse(exc.to_dict(), status_code=exc.status)

    async def run(argv: list[str], shown: dict[str, str] | None = None) -> tuple[int, str]:
        hit = runner.cached(argv)
        if hit is not None:
            return hit
        if argv[0] in INLINE_COMMANDS:
            done = runner.run(argv, shown=shown, wait=False)  # None: a slow command holds the runner
            if done is not None:
                return done
        return await run_in_threadpool(runner.run, argv, shown=shown)

    def model_arg(model: str) -> tuple[str, dict[str, str]]:
        ref, shown = runner.model_ref(model)
        return ref, {ref: shown}

    # -- the JSON API -------------------------------------------------------------------------------
    @app.get("/api/params", response_model=None, responses={200: {"model": ParamsResponse}, **ERRORS},
             summary="paramscope params MODEL --json",
             openapi_extra=_query_doc(ParamsQuery))
    async def params(q: Annotated[ParamsQuery, _query(ParamsQuery)]) -> Response:
        ref, shown = model_arg(q.model)
        code, text = await run(["params", ref, *_flags(q, ("model",))], shown=shown)
        if not q.tensors:
            return _json((code, text))
        from ..roles import group_of  # the library's role -> group table, for the page's treemap

        d = json.loads(text)
        d["role_groups"] = {t["role"]: group_of(t["role"]) for t in d.get("tensors", [])}
        return JSONResponse(d)

    def deployment_argv(command: str, q: _Deploy, ref: str) -> list[str]:
        return [command, ref, *_flags(q, ("model", "models"))]

    @app.get("/api/memory", response_model=None, responses={200: {"model": MemoryResponse}, **ERRORS},
             summary="paramscope memory MODEL [deployment flags] --json",
             openapi_extra=_query_doc(DeploymentQuery))
    async def memory(q: Annotated[DeploymentQuery, _query(DeploymentQuery)]) -> Response:
        ref, shown = model_arg(q.model)
        return _json(await run(deployment_argv("memory", q, ref), shown=shown))

    @app.get("/api/fit", response_model=None, responses={200: {"model": FitResponse}, **ERRORS},
             summary="paramscope fit MODEL --gpu NAME [deployment flags] --json (fits false is still 200)",
             openapi_extra=_query_doc(FitQuery))
    async def fit(q: Annotated[FitQuery, _query(FitQuery)]) -> Response:
        ref, shown = model_arg(q.model)
        return _json(await run(deployment_argv("fit", q, ref), shown=shown))

    @app.get("/api/perf", response_model=None, responses={200: {"model": PerfResponse}, **ERRORS},
             summary="paramscope perf MODEL --gpu NAME [--batch 1,8,64] --json",
             openapi_extra=_query_doc(PerfQuery))
    async def perf(q: Annotated[PerfQuery, _query(PerfQuery)]) -> Response:
        if q.batch and len(q.batch.split(",")) > MAX_BATCHES:
            raise ApiError(400, f"batch: at most {MAX_BATCHES} values")
        ref, shown = model_arg(q.model)
        return _json(await run(deployment_argv("perf", q, ref), shown=shown))

    @app.get("/api/train", response_model=None, responses={200: {"model": TrainResponse}, **ERRORS},
             summary="paramscope train MODEL --tokens D --gpu NAME --count N --json",
             openapi_extra=_query_doc(TrainQuery))
    async def train(q: Annotated[TrainQuery, _query(TrainQuery)]) -> Response:
        ref, shown = model_arg(q.model)
        return _json(await run(["train", ref, *_flags(q, ("model",))], shown=shown))

    @app.get("/api/scale", response_model=None, responses={200: {"model": ScaleResponse}, **ERRORS},
             summary="paramscope scale --compute C | --params N --tokens D --json",
             openapi_extra=_query_doc(ScaleQuery))
    async def scale(q: Annotated[ScaleQuery, _query(ScaleQuery)]) -> Response:
        code, text = await run(["scale", *_flags(q, ("curve",))])
        if not q.curve or q.compute is None:
            return _json((code, text))
        d = json.loads(text)
        c = d["compute_flops"]
        opt = d["optimum"][0]["n_params"]  # the recommended fit's optimum (the CLI lists it first)
        points = []
        for i in range(-8, 9):  # N from opt/10 to opt*10, D = C / 6N: `scale --params N --tokens D` each
            n = opt * 10 ** (i / 8)
            p = json.loads((await run(["scale", f"--params={n:.6g}", f"--tokens={c / (6 * n):.6g}"]))[1])
            points.append({"n_params": p["params"], "n_tokens": p["tokens"], "loss": p["loss"],
                           "command": p["_cli"]["command"]})
        d["iso_flop"] = points
        return JSONResponse(d)

    @app.get("/api/models", response_model=None, responses={200: {"model": ModelsResponse}, **ERRORS},
             summary="paramscope models [SEARCH...] --json")
    async def models(q: Annotated[str, Query(max_length=100, pattern=_TEXT, description="search words")] = "") -> Response:
        return _json(await run(["models", "--", *q.split()]))

    @app.get("/api/hardware", response_model=None, responses={200: {"model": HardwareResponse}, **ERRORS},
             summary="paramscope hardware [SEARCH...] --json")
    async def hardware(q: Annotated[str, Query(max_length=100, pattern=_TEXT, description="search words")] = "") -> Response:
        return _json(await run(["hardware", "--", *q.split()]))

    @app.get("/api/hardware/{hw_id}", response_model=None, responses={200: {"model": HardwareRecord}, **ERRORS},
             summary="paramscope hardware --show NAME --json")
    async def hardware_one(hw_id: Annotated[str, PathParam(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")]
                     ) -> Response:
        return _json(await run(["hardware", f"--show={hw_id}"]))

    @app.get("/api/compare", response_model=None, responses={200: {"model": CompareResponse}, **ERRORS},
             summary="paramscope compare MODEL... --gpu NAME [deployment flags] --json",
             openapi_extra=_query_doc(CompareQuery))
    async def compare(q: Annotated[CompareQuery, _query(CompareQuery)]) -> Response:
        ids = [m.strip() for m in q.models.split(",") if m.strip()]
        if not 1 <= len(ids) <= MAX_COMPARE:
            raise ApiError(400, f"models: give 1 to {MAX_COMPARE} comma-separated ids")
        refs, shown = [], {}
        for mid in ids:
            ref, s = model_arg(mid)
            refs.append(ref)
            shown.update(s)
        return _json(await run(["compare", *refs, *_flags(q, ("models",))], shown=shown))

    @app.get("/api/plan", response_model=None, responses={200: {"model": PlanResponse}, **ERRORS},
             summary="paramscope plan MODEL [load, objectives, constraints] --json (analytic unless simulate)",
             openapi_extra=_query_doc(PlanQuery))
    async def plan(q: Annotated[PlanQuery, _query(PlanQuery)]) -> Response:
        ref, shown = model_arg(q.model)
        argv = ["plan", ref, *_flags(q, ("model", "simulate", "gpu", "weights", "kv_dtype", "trace"))]
        if q.trace:
            path, name = runner.trace_ref(q.trace)
            argv.append(f"--trace={path}")
            shown = {**shown, path: name}
        for name in ("gpu", "weights", "kv_dtype"):
            v = getattr(q, name)
            if v:
                if len(v.split(",")) > MAX_PLAN_CHOICES:
                    raise ApiError(400, f"{name}: at most {MAX_PLAN_CHOICES} comma-separated values")
                argv.append(f"--{name.replace('_', '-')}={v}")
        if not q.simulate:
            argv.append("--no-simulate")
        return _json(await run(argv, shown=shown))

    @app.post("/api/upload", response_model=UploadResponse, responses=ERRORS,
              summary="store a pasted config.json or a dropped file's header; returns model=upload:<id>")
    def upload(body: Annotated[UploadBody, Body()]) -> dict:
        if body.kind == "trace":
            if not body.trace:
                raise ApiError(400, "upload: kind trace needs trace (a list of [prompt, output] pairs)")
            csv = "prompt,output\n" + "".join(f"{p},{o}\n" for p, o in body.trace)
            model, name = runner.add_upload("trace", body.name or "trace.csv", csv.encode(), None)
            from ..errors import ParamscopeError
            from ..plan.workload import read_trace

            try:  # refuse a trace plan would refuse, now and with plan's own message
                read_trace(runner.trace_ref(model)[0])
            except ParamscopeError as exc:
                raise ApiError(400, f"upload: {exc}".replace(runner.trace_ref(model)[0], name), exc.exit_code) from None
            return {"model": model, "name": name}
        if body.parts:
            if body.kind not in ("safetensors", "gguf") or body.header_b64:
                raise ApiError(400, "upload: parts are for kind safetensors or gguf, instead of header_b64")
            files = []
            for part in body.parts:
                try:
                    payload = base64.b64decode(part.header_b64, validate=True)
                except (binascii.Error, ValueError):
                    raise ApiError(400, f"upload: {part.name}: header_b64 is not base64") from None
                if body.kind == "gguf" and not payload.startswith(b"GGUF"):
                    raise ApiError(400, f"upload: {part.name}: not a GGUF header (the file starts without GGUF)")
                files.append((part.name, payload, part.size if part.size is not None else len(payload)))
            config = json.dumps(body.config).encode() if body.config is not None else None
            model, name = runner.add_upload_parts(body.kind, files, config)
            runner.run(["params", runner.model_ref(model)[0]], shown={runner.model_ref(model)[0]: name})  # refuse now
            return {"model": model, "name": name}
        if body.kind == "config":
            if body.config is None:
                raise ApiError(400, "upload: kind config needs config (the config.json object)")
            payload = json.dumps(body.config).encode()
            size = None
        else:
            if not body.header_b64:
                raise ApiError(400, f"upload: kind {body.kind} needs header_b64 (the file's header bytes)")
            try:
                payload = base64.b64decode(body.header_b64, validate=True)
            except (binascii.Error, ValueError):
                raise ApiError(400, "upload: header_b64 is not base64") from None
            size = body.size if body.size is not None else len(payload)
            magic = b"GGUF" if body.kind == "gguf" else None
            if magic and not payload.startswith(magic):
                raise ApiError(400, "upload: not a GGUF header (the file starts without GGUF)")
        model, name = runner.add_upload(body.kind, body.name, payload, size)
        runner.run(["params", runner.model_ref(model)[0]], shown={runner.model_ref(model)[0]: name})  # refuse now
        return {"model": model, "name": name}

    # -- the page -----------------------------------------------------------------------------------
    plotly_js = _plotly_js()

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name == "plotly.min.js":
            return FileResponse(plotly_js, media_type="text/javascript",
                                headers={"Cache-Control": "public, max-age=86400"})
        files = {p.name: p for p in STATIC.iterdir() if p.is_file()}
        if name not in files:
            return JSONResponse({"error": "not found"}, status_code=404)
        kinds = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".html": "text/html"}
        return FileResponse(files[name], media_type=kinds.get(files[name].suffix, "application/octet-stream"),
                            headers={"Cache-Control": "no-cache"})

    return app


def _plotly_js() -> Path:
    """plotly.js as the plotly package bundles it (served by the app: no CDN)."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        from ..errors import DependencyError

        raise DependencyError(f"plotly.min.js not found in the plotly package ({path}); reinstall the [web] extra")
    return path

