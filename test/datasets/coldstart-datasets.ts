// The loaders live in the platform (the eval CLI uses them); tests import them from here too.
export {
  loadCiteULikeColdStart,
  loadJesterColdStart,
  loadMovieLensColdStart,
} from '../../apps/platform/src/evaluation/coldstart-datasets';
