import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One alert of an Alertmanager webhook notification, with the receiver the notification was routed to. */
export interface ReceivedAlert {
  receiver: string;
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface WebhookPayload {
  receiver: string;
  alerts: Omit<ReceivedAlert, 'receiver'>[];
}

/** An HTTP server on 127.0.0.1 that records every Alertmanager webhook notification it is sent. */
export class WebhookReceiver {
  readonly alerts: ReceivedAlert[] = [];

  private constructor(private readonly server: Server) {}

  static start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(
      createServer((req, res) => {
        let body = '';
        req.on('data', (d: Buffer) => (body += d.toString()));
        req.on('end', () => {
          const payload = JSON.parse(body) as WebhookPayload;
          receiver.alerts.push(...payload.alerts.map((a) => ({ ...a, receiver: payload.receiver })));
          res.writeHead(200).end();
        });
      })
    );
    return new Promise((resolve) => receiver.server.listen(0, '127.0.0.1', () => resolve(receiver)));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** The first firing alert received with all of `labels`, if any. */
  find(labels: Record<string, string>): ReceivedAlert | undefined {
    return this.alerts.find(
      (a) => a.status === 'firing' && Object.entries(labels).every(([k, v]) => a.labels[k] === v)
    );
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
