/** What the dead-letter routes share: the group in the path, the selection of dead letters. */
import { z } from "zod";
import { nameSchema } from "@/lib/http/schema";

export const groupParams = z.object({ group: nameSchema });

/** Dead letters by msgId (up to 5000), or one whole reason group — exactly one of the two. */
export const selectionSchema = z
  .object({
    msgIds: z.array(z.string().trim().min(1).max(128).regex(/^[\x21-\x7e]+$/, "printable ASCII")).min(1, "select at least one dead letter").max(5000).optional(),
    reason: z.string().min(1).max(2000).optional(),
  })
  .strict()
  .refine((s) => (s.msgIds === undefined) !== (s.reason === undefined), "give either msgIds or reason, not both and not neither");
