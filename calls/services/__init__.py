"""Writes for contacts and calls, one module per part of a call's life.

- `contacts`: an employee's contacts and the shared ones.
- `placing`: `call_start` and its guards; the call saved as `queued` for a worker.
- `dialing`: the operator's begin (rings the phones) and release (a hang-up).
- `identifiers`: the operator's identifier given to a call, and what follows from it.
- `notifications`: the operator's notifications, kept, matched to their call and applied.
- `outcomes`: calls no notification will finish: the silent-call sweep, alerts, settling by hand.
- `wrapup`: what the employee notes of a call once it is over (notes and an outcome).

How a call's status moves is calls.lifecycle's alone.
"""
