export * from './s2dtw/s2dtw-options';
export * from './s2dtw/s2dtw.reference';
export * from './s2dtw/s2dtw.kernel';
export * from './s2dtw/s2dtw.op';
export * from './losses/s2dtw-contrastive.loss';
export * from './losses/mil-nce.loss';
export * from './losses/temporal-augmentation';
