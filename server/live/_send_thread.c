/* A thread that sends a tick's frames while the event loop builds the next instance's.
 *
 * Why C: at 2,200 shoppers a tick writes ~2,200 frames, and ~85 % of each write is the kernel's send
 * (bench/socket_write.py). On the loop's thread that is ~17 ms of a ~27 ms tick. A Python thread cannot take it
 * over: every write would have to win the GIL back from the busy loop. Here the sends run with no GIL at all;
 * the loop hands over whole batches and waits (GIL released) only at the end of the tick.
 *
 * What keeps it safe (the caller's half of the contract is in server/live/tick_writes.py):
 * - The loop runs no callback between the first submit() and finish(): nothing else writes to, or closes, a
 *   descriptor in flight, so no frame is interleaved and no descriptor is reused under a send.
 * - Each batch keeps a reference to its frames (bytes are immutable) until finish() drops it with the GIL held.
 *   The thread never touches a Python object.
 * - A send that takes only part of a frame, or none (EAGAIN), is reported; the caller writes the rest through
 *   the transport, in order, before anything else goes to that socket.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>

typedef struct {
    int fd;
    const char *data;
    Py_ssize_t size;
    PyObject *frame; /* a reference kept until finish() */
    Py_ssize_t sent; /* bytes the kernel took, or -errno */
} Job;

typedef struct Batch {
    struct Batch *next;
    Py_ssize_t n;
    Job jobs[];
} Batch;

typedef struct {
    PyObject_HEAD
    pthread_mutex_t lock;
    pthread_cond_t work; /* a batch was queued, or stop */
    pthread_cond_t idle; /* the queue ran dry */
    pthread_t thread;
    int started;
    int stop;
    Batch *first;   /* every batch since the last finish(), oldest first */
    Batch *last;
    Batch *pending; /* the oldest batch not yet sent; NULL when the thread is idle */
} Sender;

static void send_batch(Batch *batch) {
    for (Py_ssize_t i = 0; i < batch->n; i++) {
        Job *job = &batch->jobs[i];
        ssize_t r;
        do {
            r = send(job->fd, job->data, (size_t)job->size, MSG_DONTWAIT | MSG_NOSIGNAL);
        } while (r < 0 && errno == EINTR);
        if (r >= 0)
            job->sent = r;
        else
            job->sent = (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
    }
}

static void *run(void *arg) {
    Sender *self = (Sender *)arg;
    pthread_mutex_lock(&self->lock);
    for (;;) {
        while (self->pending == NULL && !self->stop)
            pthread_cond_wait(&self->work, &self->lock);
        if (self->pending == NULL) /* stop, with nothing left to send */
            break;
        Batch *batch = self->pending;
        pthread_mutex_unlock(&self->lock);
        send_batch(batch);
        pthread_mutex_lock(&self->lock);
        self->pending = batch->next;
        if (self->pending == NULL)
            pthread_cond_signal(&self->idle);
    }
    pthread_mutex_unlock(&self->lock);
    return NULL;
}

static int start(Sender *self) {
    if (self->started)
        return 0;
    int err = pthread_create(&self->thread, NULL, run, self);
    if (err) {
        errno = err;
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    self->started = 1;
    return 0;
}

static void wait_idle(Sender *self) {
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&self->lock);
    while (self->pending != NULL)
        pthread_cond_wait(&self->idle, &self->lock);
    pthread_mutex_unlock(&self->lock);
    Py_END_ALLOW_THREADS
}

/* Drop every finished batch; with `results`, append each job's outcome to it first. */
static int release(Sender *self, PyObject *results) {
    int ok = 0;
    Batch *batch = self->first;
    self->first = self->last = NULL;
    while (batch != NULL) {
        Batch *next = batch->next;
        for (Py_ssize_t i = 0; i < batch->n; i++) {
            if (results != NULL && ok == 0) {
                PyObject *sent = PyLong_FromSsize_t(batch->jobs[i].sent);
                if (sent == NULL || PyList_Append(results, sent) < 0)
                    ok = -1;
                Py_XDECREF(sent);
            }
            Py_DECREF(batch->jobs[i].frame);
        }
        PyMem_RawFree(batch);
        batch = next;
    }
    return ok;
}

static PyObject *Sender_submit(Sender *self, PyObject *args) {
    PyObject *fds, *frames;
    if (!PyArg_ParseTuple(args, "O!O!:submit", &PyList_Type, &fds, &PyList_Type, &frames))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(fds);
    if (PyList_GET_SIZE(frames) != n) {
        PyErr_SetString(PyExc_ValueError, "submit: as many frames as descriptors");
        return NULL;
    }
    if (n == 0)
        Py_RETURN_NONE;
    if (start(self) < 0)
        return NULL;
    Batch *batch = PyMem_RawMalloc(sizeof(Batch) + (size_t)n * sizeof(Job));
    if (batch == NULL)
        return PyErr_NoMemory();
    batch->next = NULL;
    batch->n = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *frame = PyList_GET_ITEM(frames, i);
        long fd = PyLong_AsLong(PyList_GET_ITEM(fds, i));
        if (fd == -1 && PyErr_Occurred())
            goto fail;
        if (!PyBytes_Check(frame) || fd < 0 || fd > INT32_MAX) {
            PyErr_SetString(PyExc_TypeError, "submit: descriptors are non-negative ints, frames are bytes");
            goto fail;
        }
        Job *job = &batch->jobs[batch->n++];
        job->fd = (int)fd;
        job->data = PyBytes_AS_STRING(frame);
        job->size = PyBytes_GET_SIZE(frame);
        job->frame = Py_NewRef(frame);
        job->sent = 0;
    }
    pthread_mutex_lock(&self->lock);
    if (self->last != NULL)
        self->last->next = batch;
    else
        self->first = batch;
    self->last = batch;
    if (self->pending == NULL) {
        self->pending = batch;
        pthread_cond_signal(&self->work);
    }
    pthread_mutex_unlock(&self->lock);
    Py_RETURN_NONE;
fail:
    for (Py_ssize_t i = 0; i < batch->n; i++)
        Py_DECREF(batch->jobs[i].frame);
    PyMem_RawFree(batch);
    return NULL;
}

static PyObject *Sender_finish(Sender *self, PyObject *Py_UNUSED(ignored)) {
    wait_idle(self);
    PyObject *results = PyList_New(0);
    if (release(self, results) < 0 || results == NULL) {
        Py_XDECREF(results);
        return NULL;
    }
    return results;
}

static void stop(Sender *self) {
    if (!self->started)
        return;
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&self->lock);
    self->stop = 1;
    pthread_cond_signal(&self->work);
    pthread_mutex_unlock(&self->lock);
    pthread_join(self->thread, NULL);
    Py_END_ALLOW_THREADS
    self->started = 0;
    self->stop = 0;
}

static PyObject *Sender_close(Sender *self, PyObject *Py_UNUSED(ignored)) {
    stop(self); /* sends what was submitted first */
    release(self, NULL);
    Py_RETURN_NONE;
}

static int Sender_init(Sender *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, ":Sender", kwlist))
        return -1;
    return 0;
}

static PyObject *Sender_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    Sender *self = (Sender *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    pthread_mutex_init(&self->lock, NULL);
    pthread_cond_init(&self->work, NULL);
    pthread_cond_init(&self->idle, NULL);
    return (PyObject *)self;
}

static void Sender_dealloc(Sender *self) {
    stop(self);
    release(self, NULL);
    pthread_mutex_destroy(&self->lock);
    pthread_cond_destroy(&self->work);
    pthread_cond_destroy(&self->idle);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Sender_methods[] = {
    {"submit", (PyCFunction)Sender_submit, METH_VARARGS,
     "submit(fds, frames): queue one send per (descriptor, frame) for the thread; returns at once."},
    {"finish", (PyCFunction)Sender_finish, METH_NOARGS,
     "finish() -> list[int]: wait for every queued send; bytes each took (0: none, the socket is full) or "
     "-errno, in submit order."},
    {"close", (PyCFunction)Sender_close, METH_NOARGS, "close(): send what is queued, then stop the thread."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject SenderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "server.live._send_thread.Sender",
    .tp_basicsize = sizeof(Sender),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "One thread that sends batches of frames with the GIL released.",
    .tp_new = Sender_new,
    .tp_init = (initproc)Sender_init,
    .tp_dealloc = (destructor)Sender_dealloc,
    .tp_methods = Sender_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "server.live._send_thread",
    "Sends a tick's frames on a thread of its own, without the GIL (see the comment at the top of the source).",
    -1, NULL,
};

PyMODINIT_FUNC PyInit__send_thread(void) {
    if (PyType_Ready(&SenderType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "Sender", (PyObject *)&SenderType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
