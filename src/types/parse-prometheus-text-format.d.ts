declare module 'parse-prometheus-text-format' {
  /** One metric family of the Prometheus text exposition format, as the library returns it. */
  interface MetricFamily {
    name: string;
    help: string;
    type: string;
    metrics: Array<{ value?: string; labels?: Record<string, string>; timestamp_ms?: string; buckets?: Record<string, string>; quantiles?: Record<string, string>; count?: string; sum?: string }>;
  }
  export default function parsePrometheusTextFormat(text: string): MetricFamily[];
}
