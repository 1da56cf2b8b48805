/** Names and help for the similarity metrics, shared by every panel. */
import type { MetricName } from '@/lib/protocol/analysis';

export const METRIC_LABEL: Record<MetricName, string> = {
  'svcca-k': 'SVCCA (fixed k)',
  svcca: 'SVCCA (99%)',
  cka: 'linear CKA',
  pwcca: 'PWCCA',
};

/** Short names for tight places (the panel header's selector; the full name is its label). */
export const METRIC_SHORT: Record<MetricName, string> = {
  'svcca-k': 'SVCCA-k',
  svcca: 'SVCCA',
  cka: 'CKA',
  pwcca: 'PWCCA',
};

/** Whether the metric keeps k SVD directions (and so reports k). */
export function hasK(metric: MetricName): boolean {
  switch (metric) {
    case 'svcca':
    case 'svcca-k':
      return true;
    case 'cka':
    case 'pwcca':
      return false;
    default: {
      const _exhaustive: never = metric;
      return _exhaustive;
    }
  }
}

/** Raghu et al. 2017, SVCCA. */
export const SVCCA_PAPER = 'https://arxiv.org/abs/1706.05806';
/** Bau et al. 2017, Network Dissection. */
export const NETDISSECT_PAPER = 'http://netdissect.csail.mit.edu/';
/** Grad-CAM: Selvaraju et al. 2017. */
export const GRADCAM_PAPER = 'https://arxiv.org/abs/1610.02391';
