/*
 * qr_fault: the fixed vocabulary of fault kinds. The names appear in the
 * ledger, exports and reports, so they never change once released.
 */
#ifndef QR_FAULT_H
#define QR_FAULT_H

typedef enum qr_fault_kind {
    QR_FAULT_BLANK = 0,
    QR_FAULT_DUPLICATE,
    QR_FAULT_STREAKS,
    QR_FAULT_TOO_DARK,
    QR_FAULT_TOO_LIGHT,
    QR_FAULT_LOW_DPI,
    QR_FAULT_SKEW,
    QR_FAULT_CROPPED,
    QR_FAULT_ORIENTATION,
    QR_FAULT_CORRUPT,
    QR_FAULT_MISSING_PAGES,
    QR_FAULT_EXTRA_PAGES,
    QR_FAULT_UNEXPECTED_FILE,
    QR_FAULT__COUNT
} qr_fault_kind;

/* One measured verdict: what was measured, against which threshold. */
typedef struct qr_fault {
    qr_fault_kind kind;
    int page;          /* 1-based delivered position; 0 = the whole file */
    double value;      /* the measured value */
    double threshold;  /* the threshold it crossed */
    char detail[160];  /* human-readable explanation, e.g. the decoder's error */
} qr_fault;

const char *qr_fault_name(qr_fault_kind k);
/* -1 when the name is unknown. */
int qr_fault_from_name(const char *name);

#endif
