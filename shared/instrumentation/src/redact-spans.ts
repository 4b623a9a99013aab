import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { redactFields, redactText } from './redact';

/**
 * Runs before the exporting processors: redacts every attribute, event
 * attribute (recorded exceptions) and status message of every span, ours
 * and the auto-instrumentations' alike, before anything is exported.
 */
export class RedactingSpanProcessor implements SpanProcessor {
  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    redactFields(span.attributes as Record<string, unknown>);
    for (const event of span.events) if (event.attributes) redactFields(event.attributes as Record<string, unknown>);
    const status = span.status as { message?: string };
    if (status.message) status.message = redactText(status.message);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
