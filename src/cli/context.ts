/**
 * What a command's `run` receives: the frozen config, the cancellation signal, the renderer (events and
 * result) and a place to register clean-up that runs whatever happens.
 */
import type { Config } from "../config/schema.ts";
import type { Renderer } from "./render/index.ts";
import type { Io } from "./io.ts";
import type { ConfirmOptions } from "./prompt.ts";

export interface CommandContext {
  /** The merged, validated, frozen configuration. */
  readonly config: Config;
  /** Aborted on Ctrl-C / SIGTERM; pass it to every async operation. */
  readonly signal: AbortSignal;
  /** Events and results go here; never write to the streams directly. */
  readonly render: Renderer;
  /** True with `--json`. */
  readonly json: boolean;
  /** The process edges (environment, working directory). */
  readonly io: Io;
  /** Registers a clean-up step; steps run in reverse order after `run`, success or not, errors joined. */
  defer(cleanup: () => Promise<void> | void): void;
  /**
   * Asks the operator before destructive work, like `prompt.ts`'s `confirm` (the default when absent); the
   * host side of a remote run asks the operator's terminal through its channel instead.
   */
  confirm?(question: string, options: ConfirmOptions): Promise<void>;
}
