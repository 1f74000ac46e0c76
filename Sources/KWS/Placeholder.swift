// KWS module: speech data, MFCC features, trainer (issue 8).
