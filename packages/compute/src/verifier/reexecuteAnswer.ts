import type { InferenceRoute } from "../backend.js";
import type { IntModel } from "../runtime/model.js";
import { type CompletionComparison, compareCompletion, completionContent, reexecute } from "../runtime/reexecute.js";

/** Re-executes a request with the built-in model and compares with what the provider answered (text, finish, tokens). */
export function reexecuteAnswer(
  model: IntModel,
  route: InferenceRoute,
  stream: boolean,
  requestBytes: Uint8Array,
  responseBytes: Uint8Array,
): CompletionComparison {
  let actual: ReturnType<typeof completionContent>;
  try {
    actual = completionContent(route, stream, responseBytes);
  } catch (e) {
    return { equal: false, differences: [`the response is not a completion: ${(e as Error).message}`] };
  }
  let expected: ReturnType<typeof reexecute>;
  try {
    expected = reexecute(model, route, requestBytes);
  } catch (e) {
    // The model refuses this request, so a correct provider would have answered with an error, not a signed answer.
    return { equal: false, differences: [`the request cannot be run by this model: ${(e as Error).message}`] };
  }
  return compareCompletion(expected, actual);
}
