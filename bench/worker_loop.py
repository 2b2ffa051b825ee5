"""The request loop both benchmark workers answer on (bench/tf_worker.py, bench/torch_worker.py;
bench/lib/peers/python-worker.mjs is the other end): one JSON request per line on stdin, one JSON
answer per line on the real stdout. A failing request is an answer ({ok: false, error}), never a
crash; {"cmd": "exit"} ends the loop.
"""
import json
import sys

# Answers go to the real stdout; everything else (the library's logging, warnings) to stderr.
_answers = sys.stdout
sys.stdout = sys.stderr


def reply(obj):
    _answers.write(json.dumps(obj) + '\n')
    _answers.flush()


def serve(handlers, describe_error=lambda error: str(error)[:400]):
    """Answers each request with handlers[req['cmd']](req) until {"cmd": "exit"}."""
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            cmd = req.get('cmd')
            if cmd == 'exit':
                reply({'ok': True})
                return
            handler = handlers.get(cmd)
            reply(handler(req) if handler else {'ok': False, 'error': f'unknown cmd {cmd!r}'})
        except Exception as error:  # a library refusing a request is an answer, not a crash
            reply({'ok': False, 'error': f'{type(error).__name__}: {describe_error(error)}'})
