// Compiled against the built package by the contracts tests: the generated types must
// accept real bodies and refuse wrong ones.
import type { ImportRequestedV1Event, LoginRequest, Position } from "@tradeloop/contracts";

const login: LoginRequest = { email: "a@example.com", password: "correct-horse-battery" };

const requested: ImportRequestedV1Event = {
  specversion: "1.0",
  id: "e1",
  source: "/core-api",
  type: "import.requested.v1",
  time: "2026-03-02T14:30:00Z",
  dataschema: "https://schemas.tradeloop.dev/contracts/events/import.requested.v1.json",
  data: {
    user_id: "00000000-0000-0000-0000-000000000001",
    import_id: "00000000-0000-0000-0000-000000000002",
    account_id: "00000000-0000-0000-0000-000000000003",
    object_key: "imports/a.csv",
    filename: "a.csv",
    format: "generic_csv",
    mode: "valid_only",
  },
};

// Money travels as decimal strings, never numbers.
// @ts-expect-error a number is not a decimal string
const wrongPnl: Position["realised_pnl_net"] = 12.5;

// @ts-expect-error the event type is fixed per schema
const wrongType: ImportRequestedV1Event["type"] = "import.completed.v1";

// @ts-expect-error unknown request fields are refused
const extra: LoginRequest = { email: "a@example.com", password: "x", remember: true };

export { extra, login, requested, wrongPnl, wrongType };
